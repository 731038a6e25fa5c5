"""The SAM template, checked offline.

Translates template.yaml with SAM's own translator (aws-sam-translator, the
version aws-sam-cli pins), evaluates the resulting CloudFormation under a
range of parameter sets the way CloudFormation would (conditions, Fn::If,
AWS::NoValue, Fn::Sub, Fn::ToJsonString ...), and asserts on what would be
deployed: the IAM policies above all (no "*" resource on any SQS, Secrets
Manager or SSM action; the receiver sends only to its queue and reads
exactly its secrets; the consumer reads only the events queue), then the
sources document, the front doors, queues, logs, alarms and dashboard
against the configuration and metrics contract. cfn-lint (informational
checks included) and `sam validate --lint` run here too.

Run: .venv/bin/python -m unittest discover -s tests/template -v
(tools/test runs it.)
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path
from typing import Any

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("SAM_CLI_TELEMETRY", "0")

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
VENV_BIN = Path(sys.executable).parent

STACK = "hookline-test"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/x",
}

# From /work/contract.md (the configuration and metrics contract).
SCHEMES = {"onecentre", "actigraph", "basic", "bearer", "bracken", "standard-webhooks", "oauth2"}
SOURCE_KEYS = {
    "name", "scheme", "secrets", "allowed_networks", "queue_url", "group_id",
    "tolerance_seconds", "max_body_bytes",
    "issuer", "jwks_url", "audiences", "client_ids", "scopes", "clock_skew_seconds",
}
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SECRET_REFERENCE = re.compile(r"^(env:|secretsmanager:|ssm:)")
METRICS = {
    "Requests", "Enqueued", "Rejected", "QueueUnavailable", "KeysUnavailable",
    "Handshakes", "ColdStart", "Latency", "BodySize",
}
METRIC_DIMENSIONS = {"service", "source", "reason"}
# The dimension sets src/metrics.rs publishes: every metric under [service]
# and [service, source]; Rejected also under [service, source, reason]. An
# alarm or graph on any other combination would find no data.
EMITTED_SETS = {frozenset({"service"}), frozenset({"service", "source"})}
REJECTED_SETS = EMITTED_SETS | {frozenset({"service", "source", "reason"})}

# Actions whose resource may never be "*" (nor any wildcard).
GUARDED = ("sqs:", "secretsmanager:", "ssm:", "kms:")

EXISTING_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:hookline/actigraph-AbCdEf"
EXISTING_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# Parameter sets the stack is checked under (on top of the defaults).
SCENARIOS: dict[str, dict[str, str]] = {
    "defaults": {},
    "secret values given": {
        "ActigraphSecretValue": "B3`MlG4sJR.X^-%w=oG_UrNBEpszl?",
        "BrackenSecretValue": "12345-bracken-secret",
        "StandardWebhooksSecretValue": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    },
    "existing secret": {"ActigraphSecretArn": EXISTING_SECRET},
    "fifo": {"FifoQueue": "true"},
    "fifo high throughput": {"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"},
    "kms new key": {"Encryption": "KMS"},
    "kms existing key": {"Encryption": "KMS", "KmsKeyArn": EXISTING_KEY},
    "function url": {"FrontDoor": "FUNCTION_URL", "ReceiverReservedConcurrency": "50"},
    "everything": {
        "FrontDoor": "FUNCTION_URL",
        "FifoQueue": "true",
        "Encryption": "KMS",
        "AlarmEmail": "ops@example.com",
        "ConsumerMaxConcurrency": "20",
        "ReceiverReservedConcurrency": "100",
        "BrackenSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:bracken-XyZ123",
        "MessageRetentionDays": "7",
    },
}


class NoValue:
    """AWS::NoValue: removes the property or list element it lands in."""


NO_VALUE = NoValue()


def load_template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """SAM's translator, as `sam validate` drives it (a placeholder S3 CodeUri)."""
    template = copy.deepcopy(template)
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/key"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            raise AssertionError("the template must not need AWS managed policies")

    return transform(template, {}, NoManagedPolicies())


class Stack:
    """A translated template evaluated under one parameter set."""

    def __init__(self, cfn: dict[str, Any], overrides: dict[str, str]):
        self.cfn = cfn
        self.parameters: dict[str, Any] = {}
        for name, spec in cfn["Parameters"].items():
            value = overrides.get(name, spec.get("Default"))
            if value is None:
                raise AssertionError(f"parameter {name} has no value")
            check_parameter(name, spec, str(value))
            if spec["Type"] == "CommaDelimitedList":
                value = [v.strip() for v in str(value).split(",")]
            self.parameters[name] = value if isinstance(value, list) else str(value)
        unknown = set(overrides) - set(cfn["Parameters"])
        if unknown:
            raise AssertionError(f"unknown parameters {unknown}")
        self.conditions: dict[str, bool] = {}
        for name in cfn.get("Conditions", {}):
            self.condition(name)
        self.resources = {
            name: resource
            for name, resource in cfn["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    # -- evaluation -----------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.cfn["Conditions"][name]))
        return self.conditions[name]

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameters[name]
        self.require(name)
        return f"ref:{name}"

    def require(self, name: str) -> None:
        resource = self.cfn["Resources"].get(name)
        if resource is None:
            raise AssertionError(f"reference to unknown resource {name}")
        if "Condition" in resource and not self.condition(resource["Condition"]):
            raise AssertionError(f"reference to {name}, which this parameter set does not create")

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                value = variables[inner]
            elif "." in inner and inner.split(".")[0] in self.cfn["Resources"]:
                resource, attribute = inner.split(".", 1)
                self.require(resource)
                value = f"getatt:{resource}.{attribute}"
            else:
                value = self.ref(inner)
            if not isinstance(value, str):
                raise AssertionError(f"Fn::Sub variable {inner} is not a string: {value!r}")
            return value

        return re.sub(r"\$\{([^}]*)\}", one, text)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Condition":
                return self.condition(value)
            if key == "Fn::GetAtt":
                resource, attribute = value if isinstance(value, list) else value.split(".", 1)
                self.require(resource)
                return f"getatt:{resource}.{attribute}"
            if key == "Fn::If":
                name, yes, no = value
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                left, right = (self.resolve(v) for v in value)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(value[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in value)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in value)
            if key == "Fn::Sub":
                if isinstance(value, str):
                    return self.sub(value, {})
                text, variables = value
                return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::Join":
                separator, items = value
                return separator.join(self.resolve(items))
            if key == "Fn::FindInMap":
                mapping, first, second = (self.resolve(v) for v in value)
                return self.cfn["Mappings"][mapping][str(first)][second]
            if key == "Fn::ToJsonString":
                resolved = self.resolve(value)
                return json.dumps(resolved, separators=(",", ":"))
            if key.startswith("Fn::"):
                raise AssertionError(f"the test does not evaluate {key}")
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    # -- queries ---------------------------------------------------------------
    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {n: self.resolve(r) for n, r in self.resources.items() if r["Type"] == kind}

    def properties(self, name: str) -> dict[str, Any]:
        return self.resolve(self.resources[name]).get("Properties", {})

    def role_of(self, function: str) -> str:
        role = self.properties(function)["Role"]
        match = re.fullmatch(r"getatt:(\w+)\.Arn", role)
        assert match, f"{function}'s role is not a role of this stack: {role}"
        return match.group(1)

    def statements(self, role: str) -> list[dict[str, Any]]:
        properties = self.properties(role)
        statements = []
        for policy in properties.get("Policies", []):
            statements.extend(policy["PolicyDocument"]["Statement"])
        return statements

    def environment(self, function: str) -> dict[str, str]:
        return self.properties(function)["Environment"]["Variables"]

    def sources(self) -> list[dict[str, Any]]:
        return json.loads(self.environment("ReceiverFunction")["HOOKLINE_SOURCES"])["sources"]


def check_parameter(name: str, spec: dict[str, Any], value: str) -> None:
    """CloudFormation's parameter constraints (AllowedPattern is a full match,
    of each entry of a CommaDelimitedList)."""
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        raise AssertionError(f"{name}={value!r} not in AllowedValues")
    entries = value.split(",") if spec["Type"] == "CommaDelimitedList" else [value]
    for entry in entries:
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], entry):
            raise AssertionError(f"{name}={value!r} does not match AllowedPattern")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        raise AssertionError(f"{name} is shorter than MinLength")
    if spec["Type"] == "Number":
        number = float(value)
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise AssertionError(f"{name}={value} below MinValue")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise AssertionError(f"{name}={value} above MaxValue")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(statement: dict[str, Any]) -> set[str]:
    return set(as_list(statement["Action"]))


def resources_of(statement: dict[str, Any]) -> list[str]:
    return as_list(statement["Resource"])


def rules_hold(template: dict[str, Any], stack: Stack) -> list[str]:
    """The template's Rules under a parameter set: the failed assertions."""
    failed = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not stack.resolve(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not stack.resolve(assertion["Assert"]):
                failed.append(assertion["AssertDescription"])
    return failed


class TemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.template = load_template()
        cls.cfn = translate(cls.template)
        cls.stacks = {name: Stack(cls.cfn, params) for name, params in SCENARIOS.items()}

    def each(self) -> list[tuple[str, Stack]]:
        return list(self.stacks.items())

    # -- the transform chain ---------------------------------------------------
    def test_language_extensions_run_before_sam(self) -> None:
        self.assertEqual(
            self.template["Transform"], ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]
        )

    def test_rules_accept_every_scenario(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                self.assertEqual(rules_hold(self.template, stack), [])

    def test_rules_refuse_contradictions(self) -> None:
        bad = {
            "secret twice": {"ActigraphSecretValue": "a-real-secret-value", "ActigraphSecretArn": EXISTING_SECRET},
            "key without kms": {"KmsKeyArn": EXISTING_KEY},
            "consumer concurrency 1": {"ConsumerMaxConcurrency": "1"},
        }
        for name, params in bad.items():
            with self.subTest(case=name):
                self.assertNotEqual(rules_hold(self.template, Stack(self.cfn, params)), [])

    def test_secret_parameters_refuse_empty_and_whitespace(self) -> None:
        for name in ("ActigraphSecretValue", "BrackenSecretValue", "StandardWebhooksSecretValue"):
            spec = self.template["Parameters"][name]
            self.assertTrue(spec["NoEcho"])
            self.assertEqual(spec["Default"], "none")
            for value in ("", " ", "\t  "):
                with self.subTest(parameter=name, value=value):
                    with self.assertRaises(AssertionError):
                        check_parameter(name, spec, value)
            for value in ("none", "x", " padded secret ", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"):
                check_parameter(name, spec, value)

    def test_metrics_namespace_refuses_what_init_refuses(self) -> None:
        # src/metrics.rs check_namespace: the same values, on both sides.
        name = "MetricsNamespace"
        spec = self.template["Parameters"][name]
        for value in ("hookline", "Team/Webhooks:prod", "my namespace", "a.b-c_d#e"):
            check_parameter(name, spec, value)
        for value in ("", "   ", "AWS/Lambda", 'a"b', "\u00e9", "x" * 256):
            with self.subTest(value=value):
                with self.assertRaises(AssertionError):
                    check_parameter(name, spec, value)

    def test_network_list_refuses_blank_entries(self) -> None:
        name = "ActigraphAllowedNetworks"
        spec = self.template["Parameters"][name]
        for value in ("", " ", "10.0.0.0/8,", "10.0.0.0/8, ,::/0", "not-a-network", "10.0.0.0/8 # office", "10.0.0/8"):
            with self.subTest(value=value):
                with self.assertRaises(AssertionError):
                    check_parameter(name, spec, value)
        for value in (spec["Default"], "0.0.0.0/0,::/0", "203.0.113.7", "10.0.0.0/8, 2001:db8::/32", "::ffff:203.0.113.7", "2001:db8:0:0:0:0:0:1/128"):
            check_parameter(name, spec, value)

    # -- IAM ---------------------------------------------------------------------
    def test_no_wildcard_resource_on_sqs_secrets_ssm_or_kms_actions(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                for role in stack.of_type("AWS::IAM::Role"):
                    for statement in stack.statements(role):
                        guarded = [a for a in actions_of(statement) if a == "*" or a.startswith(GUARDED)]
                        if not guarded:
                            continue
                        for action in guarded:
                            self.assertNotIn("*", action, f"{role}: wildcard action {action}")
                        for resource in resources_of(statement):
                            self.assertNotIn("*", resource, f"{role}: {guarded} on {resource}")

    def test_only_the_two_roles_and_no_managed_policies(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                roles = stack.of_type("AWS::IAM::Role")
                self.assertEqual(set(roles), {"ReceiverRole", "ConsumerRole"})
                for name, role in roles.items():
                    self.assertNotIn("ManagedPolicyArns", role["Properties"], name)
                for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group"):
                    self.assertEqual(stack.of_type(kind), {}, kind)
                self.assertEqual(stack.role_of("ReceiverFunction"), "ReceiverRole")
                self.assertEqual(stack.role_of("ConsumerFunction"), "ConsumerRole")

    def expected_secrets(self, stack: Stack) -> list[str]:
        secrets = []
        for source in ("Actigraph", "Bracken", "StandardWebhooks"):
            arn = stack.parameters[f"{source}SecretArn"]
            secrets.append(arn if arn else f"ref:{source}Secret")
        return secrets

    def expected_key(self, stack: Stack) -> str | None:
        if stack.parameters["Encryption"] != "KMS":
            return None
        return stack.parameters["KmsKeyArn"] or "getatt:KmsKey.Arn"

    def grants(self, stack: Stack, role: str) -> dict[str, list[str]]:
        """Action -> resources, over every statement of a role."""
        grants: dict[str, list[str]] = {}
        for statement in stack.statements(role):
            self.assertEqual(statement["Effect"], "Allow")
            self.assertNotIn("NotAction", statement)
            self.assertNotIn("NotResource", statement)
            for action in actions_of(statement):
                grants.setdefault(action, []).extend(resources_of(statement))
        return grants

    def test_receiver_sends_only_to_its_queue_and_reads_exactly_its_secrets(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                grants = self.grants(stack, "ReceiverRole")
                key = self.expected_key(stack)
                expected = {
                    "logs:CreateLogStream": ["getatt:ReceiverLogGroup.Arn"],
                    "logs:PutLogEvents": ["getatt:ReceiverLogGroup.Arn"],
                    "sqs:SendMessage": ["getatt:EventsQueue.Arn"],
                    "secretsmanager:GetSecretValue": self.expected_secrets(stack),
                }
                if key:
                    expected["kms:GenerateDataKey"] = [key]
                    expected["kms:Decrypt"] = [key]
                self.assertEqual(grants, expected)
                # Every secret the sources document references, and only those.
                referenced = sorted(
                    s.removeprefix("secretsmanager:") for source in stack.sources() for s in source["secrets"]
                )
                self.assertEqual(referenced, sorted(expected["secretsmanager:GetSecretValue"]))
                self.assertEqual(stack.environment("ReceiverFunction")["QUEUE_URL"], "ref:EventsQueue")

    def test_consumer_reads_only_the_events_queue(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                grants = self.grants(stack, "ConsumerRole")
                key = self.expected_key(stack)
                expected = {
                    "logs:CreateLogStream": ["getatt:ConsumerLogGroup.Arn"],
                    "logs:PutLogEvents": ["getatt:ConsumerLogGroup.Arn"],
                    "sqs:ReceiveMessage": ["getatt:EventsQueue.Arn"],
                    "sqs:DeleteMessage": ["getatt:EventsQueue.Arn"],
                    "sqs:GetQueueAttributes": ["getatt:EventsQueue.Arn"],
                }
                if key:
                    expected["kms:Decrypt"] = [key]
                self.assertEqual(grants, expected)
                self.assertNotIn("Environment", stack.properties("ConsumerFunction"))

    def test_consumer_subscription(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                mappings = stack.of_type("AWS::Lambda::EventSourceMapping")
                self.assertEqual(set(mappings), {"ConsumerEventSourceMapping"})
                mapping = mappings["ConsumerEventSourceMapping"]["Properties"]
                self.assertEqual(mapping["EventSourceArn"], "getatt:EventsQueue.Arn")
                self.assertEqual(mapping["FunctionName"], "ref:ConsumerFunction")
                self.assertEqual(mapping["FunctionResponseTypes"], ["ReportBatchItemFailures"])
                concurrency = stack.parameters["ConsumerMaxConcurrency"]
                if concurrency == "0":
                    self.assertNotIn("ScalingConfig", mapping)
                else:
                    self.assertEqual(mapping["ScalingConfig"], {"MaximumConcurrency": concurrency})

    def test_who_may_invoke_the_receiver(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                permissions = {n: p["Properties"] for n, p in stack.of_type("AWS::Lambda::Permission").items()}
                for permission in permissions.values():
                    self.assertEqual(permission["FunctionName"], "ref:ReceiverFunction")
                if stack.parameters["FrontDoor"] == "HTTP_API":
                    self.assertEqual(set(permissions), {"HttpApiInvokePermission"})
                    permission = permissions["HttpApiInvokePermission"]
                    self.assertEqual(permission["Principal"], "apigateway.amazonaws.com")
                    self.assertEqual(
                        permission["SourceArn"],
                        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:ref:HttpApi/*/POST/webhooks/*",
                    )
                else:
                    # AuthType NONE needs both since October 2025; the second only via the URL.
                    self.assertEqual(set(permissions), {"FunctionUrlPermission", "FunctionUrlInvokePermission"})
                    self.assertEqual(permissions["FunctionUrlPermission"]["Action"], "lambda:InvokeFunctionUrl")
                    self.assertEqual(permissions["FunctionUrlPermission"]["FunctionUrlAuthType"], "NONE")
                    self.assertEqual(permissions["FunctionUrlInvokePermission"]["Action"], "lambda:InvokeFunction")
                    self.assertIs(permissions["FunctionUrlInvokePermission"]["InvokedViaFunctionUrl"], True)

    # -- the sources document ------------------------------------------------------
    def test_sources_document_follows_the_contract(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                environment = stack.environment("ReceiverFunction")
                self.assertNotIn("WEBHOOK_SCHEME", environment, "HOOKLINE_SOURCES and WEBHOOK_SCHEME together fail init")
                self.assertNotIn("WEBHOOK_SECRET", environment)
                self.assertNotIn("AWS_LAMBDA_LOG_FORMAT", environment, "LoggingConfig sets the format")
                sources = stack.sources()
                names = [s["name"] for s in sources]
                self.assertEqual(names, ["actigraph", "bracken", "standard-webhooks"])
                for source in sources:
                    self.assertRegex(source["name"], SOURCE_NAME)
                    self.assertIn(source["scheme"], SCHEMES)
                    self.assertLessEqual(set(source), SOURCE_KEYS)
                    self.assertTrue(source["secrets"])
                    for secret in source["secrets"]:
                        self.assertRegex(secret, SECRET_REFERENCE)
                    for network in source.get("allowed_networks", []):
                        ipaddress.ip_network(network)  # raises on a bad CIDR
                actigraph = sources[0]
                self.assertEqual(len(actigraph["allowed_networks"]), 9)

    def test_secrets_are_created_unless_given(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                secrets = stack.of_type("AWS::SecretsManager::Secret")
                for source, value_parameter in (
                    ("Actigraph", "ActigraphSecretValue"),
                    ("Bracken", "BrackenSecretValue"),
                    ("StandardWebhooks", "StandardWebhooksSecretValue"),
                ):
                    name = f"{source}Secret"
                    if stack.parameters[f"{source}SecretArn"]:
                        self.assertNotIn(name, secrets)
                        continue
                    properties = secrets[name]["Properties"]
                    value = stack.parameters[value_parameter]
                    if value == "none":
                        # The sentinel never becomes a key: a random value does.
                        self.assertNotIn("SecretString", properties)
                        self.assertGreaterEqual(properties["GenerateSecretString"]["PasswordLength"], 32)
                    else:
                        self.assertEqual(properties["SecretString"], value)
                        self.assertNotIn("GenerateSecretString", properties)
                    key = self.expected_key(stack)
                    if key:
                        self.assertEqual(properties["KmsKeyId"], key)
                    else:
                        self.assertNotIn("KmsKeyId", properties)

    # -- front door ---------------------------------------------------------------
    def test_front_door_and_urls(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                outputs = {n: stack.resolve(o["Value"]) for n, o in self.cfn["Outputs"].items()
                           if "Condition" not in o or stack.condition(o["Condition"])}
                http = stack.parameters["FrontDoor"] == "HTTP_API"
                self.assertEqual(bool(stack.of_type("AWS::ApiGatewayV2::Api")), http)
                self.assertEqual(bool(stack.of_type("AWS::Lambda::Url")), not http)
                base = (f"https://ref:HttpApi.execute-api.{REGION}.amazonaws.com/webhooks/" if http
                        else "getatt:FunctionUrl.FunctionUrlwebhooks/")
                self.assertEqual(outputs["WebhookBaseUrl"], base)
                by_name = {"actigraph": "ActigraphWebhookUrl", "bracken": "BrackenWebhookUrl",
                           "standard-webhooks": "StandardWebhooksWebhookUrl"}
                for source in stack.sources():
                    self.assertEqual(outputs[by_name[source["name"]]], base + source["name"])
                if http:
                    route = stack.properties("HttpApiRoute")
                    self.assertEqual(route["RouteKey"], "POST /webhooks/{source}")
                    stage = stack.properties("HttpApiStage")
                    self.assertEqual(stage["StageName"], "$default")
                    settings = stage["DefaultRouteSettings"]
                    self.assertEqual(settings["ThrottlingRateLimit"], stack.parameters["ApiThrottlingRateLimit"])
                    self.assertEqual(settings["ThrottlingBurstLimit"], stack.parameters["ApiThrottlingBurstLimit"])
                    self.assertIn("ref:HttpApiAccessLogGroup", stage["AccessLogSettings"]["DestinationArn"])
                    json.loads(stage["AccessLogSettings"]["Format"])
                else:
                    self.assertEqual(stack.properties("FunctionUrl")["AuthType"], "NONE")
                reserved = stack.parameters["ReceiverReservedConcurrency"]
                properties = stack.properties("ReceiverFunction")
                if reserved == "0":
                    self.assertNotIn("ReservedConcurrentExecutions", properties)
                else:
                    self.assertEqual(properties["ReservedConcurrentExecutions"], reserved)

    def test_timeouts_fit_together(self) -> None:
        parameters = self.template["Parameters"]
        stack = self.stacks["defaults"]
        integration = stack.properties("HttpApiIntegration")
        self.assertEqual(integration["TimeoutInMillis"], 30000)  # the HTTP API maximum
        # The function's deadline comes before the gateway gives up.
        self.assertLess(int(parameters["ReceiverTimeout"]["MaxValue"]) * 1000, integration["TimeoutInMillis"])
        self.assertEqual(stack.properties("ReceiverFunction")["Timeout"], stack.parameters["ReceiverTimeout"])
        self.assertEqual(stack.environment("ReceiverFunction")["SQS_TIMEOUT_MS"], stack.parameters["SqsTimeoutMs"])
        # Defaults: a send times out well before the function does.
        self.assertLess(int(parameters["SqsTimeoutMs"]["Default"]), int(parameters["ReceiverTimeout"]["Default"]) * 1000)

    # -- queues -------------------------------------------------------------------
    def test_queues(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                queues = stack.of_type("AWS::SQS::Queue")
                self.assertEqual(set(queues), {"EventsQueue", "DeadLetterQueue"})
                events, dead = queues["EventsQueue"], queues["DeadLetterQueue"]
                self.assertEqual((dead["DeletionPolicy"], dead["UpdateReplacePolicy"]), ("Retain", "Retain"))
                self.assertEqual(events["UpdateReplacePolicy"], "Retain")
                events, dead = events["Properties"], dead["Properties"]
                # A moved message keeps its enqueue time: the DLQ must keep it longer.
                self.assertGreater(dead["MessageRetentionPeriod"], events["MessageRetentionPeriod"])
                self.assertEqual(events["RedrivePolicy"]["deadLetterTargetArn"], "getatt:DeadLetterQueue.Arn")
                consumer_timeout = stack.properties("ConsumerFunction")["Timeout"]
                self.assertGreaterEqual(events["VisibilityTimeout"], 6 * consumer_timeout)
                fifo = stack.parameters["FifoQueue"] == "true"
                for queue in (events, dead):
                    self.assertEqual(queue["MaximumMessageSize"], 1048576)
                    self.assertEqual(queue.get("FifoQueue", False), fifo)
                    if fifo:
                        self.assertTrue(queue["QueueName"].endswith(".fifo"))
                    key = self.expected_key(stack)
                    if key:
                        self.assertEqual(queue["KmsMasterKeyId"], key)
                        self.assertNotIn("SqsManagedSseEnabled", queue)
                    else:
                        self.assertIs(queue["SqsManagedSseEnabled"], True)
                        self.assertNotIn("KmsMasterKeyId", queue)
                if stack.parameters["FifoThroughputLimit"] == "perMessageGroupId" and fifo:
                    self.assertEqual(events["FifoThroughputLimit"], "perMessageGroupId")
                    self.assertEqual(events["DeduplicationScope"], "messageGroup")
                else:
                    self.assertNotIn("FifoThroughputLimit", events)

    def test_dead_letter_queue_outlives_every_allowed_retention(self) -> None:
        spec = self.template["Parameters"]["MessageRetentionDays"]
        for days in range(int(spec["MinValue"]), int(spec["MaxValue"]) + 1):
            stack = Stack(self.cfn, {"MessageRetentionDays": str(days)})
            events = stack.properties("EventsQueue")["MessageRetentionPeriod"]
            self.assertEqual(events, days * 86400)
            self.assertGreater(stack.properties("DeadLetterQueue")["MessageRetentionPeriod"], events)

    def test_customer_key_is_retained_and_rotated(self) -> None:
        stack = self.stacks["kms new key"]
        key = stack.of_type("AWS::KMS::Key")["KmsKey"]
        self.assertEqual((key["DeletionPolicy"], key["UpdateReplacePolicy"]), ("Retain", "Retain"))
        self.assertIs(key["Properties"]["EnableKeyRotation"], True)
        self.assertEqual(self.stacks["kms existing key"].of_type("AWS::KMS::Key"), {})
        self.assertEqual(self.stacks["defaults"].of_type("AWS::KMS::Key"), {})

    # -- logs ---------------------------------------------------------------------
    def test_logs(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                retention = int(stack.parameters["LogRetentionDays"])
                groups = stack.of_type("AWS::Logs::LogGroup")
                for group in groups.values():
                    self.assertEqual(int(group["Properties"]["RetentionInDays"]), retention)
                for function, group in (("ReceiverFunction", "ReceiverLogGroup"), ("ConsumerFunction", "ConsumerLogGroup")):
                    config = stack.properties(function)["LoggingConfig"]
                    self.assertEqual(config["LogFormat"], "JSON")
                    self.assertEqual(config["LogGroup"], f"ref:{group}")
                    # A line without "level" (the EMF document) counts as INFO.
                    self.assertIn(config["ApplicationLogLevel"], {"TRACE", "DEBUG", "INFO"})

    # -- alarms and dashboard -------------------------------------------------------
    def test_alarms_use_the_contract_metrics(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                namespace = stack.parameters["MetricsNamespace"]
                environment = stack.environment("ReceiverFunction")
                self.assertEqual(environment["METRICS_NAMESPACE"], namespace)
                self.assertEqual(environment["METRICS_SERVICE"], STACK)
                source_names = {s["name"] for s in stack.sources()}
                alarms = stack.of_type("AWS::CloudWatch::Alarm")
                seen = set()
                for name, alarm in alarms.items():
                    properties = alarm["Properties"]
                    dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
                    seen.add((properties["Namespace"], properties["MetricName"]))
                    if properties["Namespace"] == namespace:
                        self.assertIn(properties["MetricName"], METRICS, name)
                        self.assertLessEqual(set(dimensions), METRIC_DIMENSIONS, name)
                        sets = REJECTED_SETS if properties["MetricName"] == "Rejected" else EMITTED_SETS
                        self.assertIn(frozenset(dimensions), sets, name)
                        self.assertEqual(dimensions["service"], STACK, name)
                        if "source" in dimensions:
                            self.assertIn(dimensions["source"], source_names, name)
                    email = stack.parameters["AlarmEmail"]
                    if email:
                        self.assertEqual(properties["AlarmActions"], ["ref:AlarmTopic"], name)
                    else:
                        self.assertNotIn("AlarmActions", properties, name)
                self.assertLessEqual(
                    {
                        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
                        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
                        (namespace, "QueueUnavailable"),
                        ("AWS/Lambda", "Errors"),
                        ("AWS/Lambda", "Throttles"),
                        (namespace, "Rejected"),
                    },
                    seen,
                )
                rejected = {
                    next(d["Value"] for d in a["Properties"]["Dimensions"] if d["Name"] == "source")
                    for a in alarms.values() if a["Properties"]["MetricName"] == "Rejected"
                }
                self.assertEqual(rejected, source_names)
                self.assertEqual(bool(stack.of_type("AWS::SNS::Topic")), bool(stack.parameters["AlarmEmail"]))

    def test_every_alarm_threshold_is_a_parameter(self) -> None:
        template = load_template()
        for name, resource in template["Resources"].items():
            if resource["Type"] != "AWS::CloudWatch::Alarm":
                continue
            with self.subTest(alarm=name):
                threshold = resource["Properties"]["Threshold"]
                self.assertIsInstance(threshold, dict, "a fixed threshold")
                self.assertIn(threshold.get("Ref"), template["Parameters"])

    def test_dashboard(self) -> None:
        for name, stack in self.each():
            with self.subTest(scenario=name):
                namespace = stack.parameters["MetricsNamespace"]
                body = json.loads(stack.properties("Dashboard")["DashboardBody"])
                named: set[str] = set()
                for widget in body["widgets"]:
                    for metric in widget["properties"].get("metrics", []):
                        for part in metric:
                            if isinstance(part, dict) and "expression" in part:
                                for found in re.findall(r'MetricName="(\w+)"', part["expression"]):
                                    named.add(found)
                                    # SEARCH('{Namespace,dim,...} ...') matches exactly that dimension set.
                                    schema = re.search(r"\{[^,}]+,([^}]*)\}", part["expression"])
                                    keys = frozenset(schema.group(1).split(","))
                                    sets = REJECTED_SETS if found == "Rejected" else EMITTED_SETS
                                    self.assertIn(keys, sets, part["expression"])
                                self.assertIn(f'service="{STACK}"', part["expression"])
                        if isinstance(metric[0], str) and metric[0] == namespace:
                            named.add(metric[1])
                            self.assertEqual(metric[2:4], ["service", STACK])
                            keys = frozenset(k for k in metric[2::2] if isinstance(k, str))
                            self.assertIn(keys, REJECTED_SETS if metric[1] == "Rejected" else EMITTED_SETS)
                self.assertLessEqual(named, METRICS)
                self.assertLessEqual({"Enqueued", "Rejected", "QueueUnavailable", "KeysUnavailable", "Latency"}, named)
                alarms = next(w for w in body["widgets"] if w["type"] == "alarm")["properties"]["alarms"]
                self.assertEqual(len(alarms), len(stack.of_type("AWS::CloudWatch::Alarm")))


def tool(name: str) -> str | None:
    path = VENV_BIN / name
    return str(path) if path.exists() else shutil.which(name)


class LintTest(unittest.TestCase):
    def test_cfn_lint_including_informational_checks(self) -> None:
        cfn_lint = tool("cfn-lint")
        self.assertIsNotNone(cfn_lint, "cfn-lint is pinned in tools/requirements.txt")
        result = subprocess.run(
            [cfn_lint, "--include-checks", "I", "--", str(TEMPLATE)],
            capture_output=True, text=True, cwd=ROOT,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    @unittest.skipUnless(tool("sam"), "aws-sam-cli is not installed (tools/requirements.txt pins it)")
    def test_sam_validate_lint_offline(self) -> None:
        # No credentials needed: --lint runs cfn-lint on the SAM template.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_CA_BUNDLE"}
        environment.update(SAM_CLI_TELEMETRY="0", AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
        for lint in (["--lint"], []):
            with self.subTest(args=lint):
                result = subprocess.run(
                    [tool("sam"), "validate", *lint, "--region", REGION, "--template-file", str(TEMPLATE)],
                    capture_output=True, text=True, cwd=ROOT, env=environment,
                )
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertIn("is a valid SAM Template", result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
