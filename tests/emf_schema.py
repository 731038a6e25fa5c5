"""Checks EMF documents (one JSON document per stdin line) against the JSON
schema published with CloudWatch's Embedded Metric Format specification
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
with the dimension limit raised from 9 to 30 as the current specification
states, plus what the schema cannot say: every dimension reference is a
string member of the root, every metric reference a number (or an array of
at most 100 numbers), at most 100 metrics per directive. Run by
`cargo test --lib metrics`."""

import json
import sys

import jsonschema

UNITS = (
    "Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|"
    "Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes\\/Second|Kilobytes\\/Second|"
    "Megabytes\\/Second|Gigabytes\\/Second|Terabytes\\/Second|Bits\\/Second|Kilobits\\/Second|"
    "Megabits\\/Second|Gigabits\\/Second|Terabits\\/Second|Count\\/Second|None"
)

NAME = {"type": "string", "pattern": "^(.*)$", "minLength": 1, "maxLength": 255}

SCHEMA = {
    "type": "object",
    "title": "Root Node",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "title": "Metadata",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer"},
                "CloudWatchMetrics": {
                    "type": "array",
                    "title": "MetricDirectives",
                    "items": {
                        "type": "object",
                        "title": "MetricDirective",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": NAME,
                            "Dimensions": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "array",
                                    "title": "DimensionSet",
                                    "minItems": 0,
                                    "maxItems": 30,
                                    "items": NAME,
                                },
                            },
                            "Metrics": {
                                "type": "array",
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "title": "MetricDefinition",
                                    "required": ["Name"],
                                    "properties": {
                                        "Name": NAME,
                                        "Unit": {"type": "string", "pattern": f"^({UNITS})$"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def check(document: dict) -> None:
    jsonschema.validate(document, SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                assert isinstance(document.get(key), str), f"dimension {key} must be a root string"
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            if isinstance(value, list):
                assert len(value) <= 100 and all(isinstance(v, (int, float)) for v in value)
            else:
                assert isinstance(value, (int, float)) and not isinstance(value, bool), (
                    f"metric {metric['Name']} must be a root number"
                )


def main() -> int:
    count = 0
    for line in sys.stdin:
        if line.strip():
            check(json.loads(line))
            count += 1
    assert count > 0, "no document on stdin"
    print(f"{count} EMF documents valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
