from casepath.services import cases


def test_a_referral_opens_a_case_waiting_for_the_front_door_decision(factory):
    fd = factory.create_staff("fd1", ["front_door", "social_worker"])
    factory.at("2025-04-17T10:15:00+01:00")
    case_id = factory.create_referral(fd, received_at="2025-04-17T10:15:00+01:00")
    assert factory.open_steps(case_id) == ["referral_decision"]
    case = cases.get_case(factory.core, factory.admin_reviewer(), case_id)
    assert case["status"] == "open"
    assert [t["due_on"] for t in case["tasks"]] == ["2025-04-22"]
