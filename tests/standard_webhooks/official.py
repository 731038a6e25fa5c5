#!/usr/bin/env python3
"""Signs and verifies Standard Webhooks deliveries with the specification's
own Python library (`standardwebhooks`, pinned in tools/requirements.txt).

Usage: official.py NOW  ->  one JSON document on stdout: a list of
  {name, id, timestamp, signature, body, official}
where `official` is whether the library's own `verify` accepts the delivery
at NOW (it reads the clock itself; NOW is the test's, a moment earlier).
Each delivery is signed as a sender using the library would sign it: the
timestamp header spelled as given, the signature over what `sign` makes of
that timestamp (its whole seconds).
"""

import json
import sys
from datetime import datetime, timezone

from standardwebhooks import Webhook

SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
OTHER = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"type":"invoice.paid","data":{"amount":1.0,"note":"caf\\u00e9 \u00e9"}}'


def main() -> None:
    now = int(sys.argv[1])
    hook, other = Webhook(SECRET), Webhook(OTHER)
    cases = []

    def case(name, msg_id, timestamp, body=BODY, signers=(hook,), extra=""):
        when = datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
        signature = " ".join(s.sign(msg_id, when, body) for s in signers) + extra
        headers = {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": signature}
        try:
            hook.verify(body, headers)
            official = True
        except Exception:  # the library's WebhookVerificationError, or a parse error
            official = False
        cases.append({"name": name, "id": msg_id, "timestamp": timestamp,
                      "signature": signature, "body": body, "official": official})

    case("integer", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", str(now))
    case("fraction", "msg_fraction", f"{now}.5")
    case("python time.time()", "msg_float", f"{now}.123456")
    case("trailing point", "msg_point", f"{now}.")
    case("fraction that rounds up (Python signs the next second)", "msg_round_up", f"{now - 1}.9999996")
    case("fraction just below rounding up", "msg_round_down", f"{now - 1}.9999994")
    case("a long fraction of nines", "msg_nines", f"{now - 1}." + "9" * 40)
    case("plus sign", "msg_plus", f"+{now}")
    case("leading zeros", "msg_zeros", f"000{now}")
    case("four minutes old", "msg_old_ok", str(now - 240))
    case("six minutes old", "msg_old", str(now - 360))
    case("six minutes ahead", "msg_new", str(now + 360))
    case("rotation: old and new secret", "msg_rotation", str(now), signers=(other, hook))
    case("rotation: unknown versions around", "msg_versions", str(now), extra=" v2,AAAA v1a,BBBB")
    case("another secret only", "msg_forged", str(now), signers=(other,))
    case("unicode body", "msg_unicode", str(now), body='{"name":"\u00fcn\u00ef \U0001F600"}')
    json.dump(cases, sys.stdout)


if __name__ == "__main__":
    main()
