"""Reading and mutating the shipped diagrams with lxml, for the lint corpus and migration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from casepath.services.versions import read_folder

ROOT = Path(__file__).resolve().parents[2]
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
BPMN = "{{{}}}".format(NS["bpmn"])


def shipped() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    return read_folder(ROOT / "processes", ROOT / "forms")


def mutate(diagrams: dict[str, str], name: str, change: Callable[[Any], None]) -> dict[str, str]:
    """A copy of `diagrams` with `change` applied to the parsed tree of one file."""
    root = etree.fromstring(diagrams[name].encode())
    change(root)
    return {**diagrams, name: etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()}


def find(root: Any, element_id: str) -> Any:
    found = root.xpath(f"//*[@id='{element_id}']")
    assert found, element_id
    return found[0]


def remove(root: Any, *element_ids: str) -> None:
    """Remove elements, the lane references and the diagram shapes that name them."""
    for element_id in element_ids:
        element = find(root, element_id)
        element.getparent().remove(element)
        for ref in root.xpath(
            f"//bpmn:flowNodeRef[text()='{element_id}'] | //*[@bpmnElement='{element_id}']", namespaces=NS
        ):
            ref.getparent().remove(ref)
        for ref in root.xpath(
            f"//bpmn:incoming[text()='{element_id}'] | //bpmn:outgoing[text()='{element_id}']", namespaces=NS
        ):
            ref.getparent().remove(ref)


def move_to_lane(root: Any, element_id: str, lane_name: str) -> None:
    for ref in root.xpath(f"//bpmn:flowNodeRef[text()='{element_id}']", namespaces=NS):
        ref.getparent().remove(ref)
    lane = root.xpath(f"//bpmn:lane[@name='{lane_name}']", namespaces=NS)[0]
    etree.SubElement(lane, BPMN + "flowNodeRef").text = element_id


def add(parent: Any, tag: str, **attributes: str) -> Any:
    return etree.SubElement(parent, BPMN + tag, **attributes)


def process(root: Any) -> Any:
    return root.find(BPMN + "process")


def user_task(root: Any, task_id: str, lane: str, form_key: str, name: str = "") -> Any:
    """A user task drawn in `lane` with its form key, no flows yet."""
    task = add(process(root), "userTask", id=task_id, name=name or task_id.replace("_", " "))
    extensions = add(task, "extensionElements")
    props = etree.SubElement(extensions, f"{{{NS['spiffworkflow']}}}properties")
    etree.SubElement(props, f"{{{NS['spiffworkflow']}}}property", name="formKey", value=form_key)
    lane_element = root.xpath(f"//bpmn:lane[@name='{lane}']", namespaces=NS)[0]
    etree.SubElement(lane_element, BPMN + "flowNodeRef").text = task_id
    return task


def flow(root: Any, flow_id: str, source: str, target: str, condition: str | None = None) -> Any:
    element = add(process(root), "sequenceFlow", id=flow_id, sourceRef=source, targetRef=target)
    if condition is not None:
        expression = add(element, "conditionExpression")
        expression.set("{http://www.w3.org/2001/XMLSchema-instance}type", "bpmn:tFormalExpression")
        expression.text = condition
    return element


def retarget(root: Any, flow_id: str, target: str) -> None:
    find(root, flow_id).set("targetRef", target)
