"""Access matrix: user A creates one object of every kind through the API; user B (authenticated,
not staff, not a member of A's group) then tries every operation of every object endpoint in the
OpenAPI schema on A's objects. Every attempt must be refused (403, 404 or 405; a 400 is reported
as refused-by-validation) and none may change anything of A's."""

from datetime import timedelta
from decimal import Decimal

import requests

from reliability.world import World

# Operations on the catalogue that any user may perform on any product or payment item.
PUBLIC = {
    ("get", "/payments/products/{id}/"),
    ("post", "/payments/products/{id}/purchase/"),
    ("get", "/payments/payment-items/{id}/"),
    ("post", "/payments/payment-items/{id}/pay/"),
}
NOT_USER_OBJECTS = ("/payments/webhooks/", "/api/auth/")
REFUSED = {403, 404, 405}


def _ok(response: requests.Response, expected: int, what: str) -> dict:
    if response.status_code != expected:
        raise RuntimeError(
            f"setting up the access matrix: {what} answered {response.status_code} {response.text[:300]}"
        )
    return response.json()


def create_objects(world: World, a, c, staff_session) -> dict[str, object]:
    """A's objects, one of each kind, made through the API (the catalogue items by staff). A is
    funded first: the workloads before this step may have spent A's balance."""
    from comrade.accounts.models import User
    from comrade.ledger.services import wallet_fund

    wallet_fund(user=User.objects.get(pk=a.user_id), amount=Decimal("100.00"))
    base, s = world.server.base_url, requests.Session()
    h = world.headers(a.user_id)
    post = lambda path, body, code=201: _ok(s.post(base + path, json=body, headers=h, timeout=60), code, path)  # noqa: E731
    from django.utils import timezone

    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    ids = {
        "transactions": post(
            "/payments/transactions/create_transaction/",
            {"receiver_id": c.user_id, "amount": "1.00", "payment_method": "INTERNAL"},
        )["id"]
    }
    ids["payment-groups"] = post("/payments/payment-groups/", {"name": "A's group", "group_type": "SAVINGS"})["id"]
    post(f"/payments/payment-groups/{ids['payment-groups']}/contribute/", {"amount": "3.00"})
    ids["targets"] = post(
        "/payments/targets/", {"group": ids["payment-groups"], "name": "A's target", "target_amount": "50.00"}
    )["id"]
    c_email = f"rel-{c.user_id}@bench.local"
    ids["invitations"] = post(f"/payments/payment-groups/{ids['payment-groups']}/invite/", {"invitee_email": c_email})[
        "id"
    ]
    ids["standing-orders"] = post(
        "/payments/standing-orders/",
        {"recipient": c.user_id, "amount": "2.00", "frequency": "MONTHLY", "start_date": tomorrow},
    )["id"]
    ids["subscriptions"] = post("/payments/subscriptions/", {"subscription_type": "STANDARD"})["id"]
    ids["products"], ids["payment-items"] = staff_session()
    ids["purchases"] = post(f"/payments/products/{ids['products']}/purchase/", {"quantity": 1})["id"]
    ids["method_id"] = post("/payments/payment-profiles/payment_methods/", {"provider": "sandbox", "token": "tok_a"})[
        "id"
    ]
    ids["bank-accounts"] = post(
        "/payments/bank-accounts/", {"holder_name": "A Person", "iban": "GB33BUKB20201555555555", "bic": "BUKBGB22"}
    )["id"]
    ids["payment-profiles"] = _ok(s.get(base + "/payments/payment-profiles/my_profile/", headers=h), 200, "profile")[
        "id"
    ]
    return ids


def staff_catalogue(world: World):
    """A staff user's product and payment item (the catalogue is staff-managed)."""

    def make() -> tuple[int, int]:
        from bench.infra.server import bearer_tokens
        from comrade.accounts.services import user_create

        staff = user_create(email="rel-staff@bench.local", password=None, is_staff=True)
        h = {"Authorization": f"Bearer {bearer_tokens([staff.pk])[staff.pk]}"}
        base = world.server.base_url
        product = requests.post(
            base + "/payments/products/",
            json={"name": "Tea", "price": "4.00", "category": "food"},
            headers=h,
            timeout=60,
        )
        item = requests.post(
            base + "/payments/payment-items/", json={"name": "Dues", "price": "2.00"}, headers=h, timeout=60
        )
        return _ok(product, 201, "product")["id"], _ok(item, 201, "payment item")["id"]

    return make


def bodies(a, b) -> dict[str, dict]:
    """A body a legitimate caller could send, by the operation's last path segment (or method)."""
    return {
        "put": {
            "name": "taken",
            "price": "1.00",
            "category": "x",
            "amount": "9.99",
            "frequency": "MONTHLY",
            "start_date": "2099-01-01",
            "recipient": b.user_id,
        },
        "patch": {"name": "taken", "amount": "9.99", "is_open": True},
        "contribute": {"amount": "1.00", "payment_method": "INTERNAL"},
        "invite": {"invitee_email": f"rel-{b.user_id}@bench.local"},
        "payout": {"user_id": b.user_id, "amount": "1.00"},
        "remove_member": {"user_id": a.user_id},
        "rotation": {"order": [b.user_id]},
        "rotation_payout": {"amount": "1.00"},
        "set_role": {"user_id": b.user_id, "role": "ADMIN"},
        "fund": {"amount": "100.00"},
        "refund": {"amount": "1.00"},
    }


def snapshot(a, ids: dict) -> dict:
    """Everything of A's that an attempt by B could have changed."""
    from comrade.bank.models import BankAccount
    from comrade.commerce.models import PaymentItem, Product, UserSubscription
    from comrade.groups.models import GroupInvitation, GroupMembers, GroupTarget, PaymentGroups
    from comrade.ledger.models import LedgerAccount, PaymentProfile, TransactionToken
    from comrade.standing_orders.models import StandingOrder

    group = PaymentGroups.objects.get(pk=ids["payment-groups"])
    return {
        "wallet": LedgerAccount.objects.get(pk=a.account_id).balance,
        "pot": LedgerAccount.objects.get(pk=group.pot_id).balance,
        "group": (group.name, group.is_active, group.is_open, group.closed_at),
        "members": sorted(GroupMembers.objects.filter(group=group).values_list("user_id", "role")),
        "target": GroupTarget.objects.filter(pk=ids["targets"]).values_list("current_amount", "name").first(),
        "invitation": GroupInvitation.objects.filter(pk=ids["invitations"]).values_list("status").first(),
        "order": StandingOrder.objects.filter(pk=ids["standing-orders"])
        .values_list("status", "amount", "recipient_id")
        .first(),
        "subscription": UserSubscription.objects.filter(pk=ids["subscriptions"]).values_list("status").first(),
        "transactions": sorted(TransactionToken.objects.filter(sender_id=a.user_id).values_list("pk", "status")),
        "methods": PaymentProfile.objects.get(user_id=a.user_id).payment_methods,
        "product": Product.objects.filter(pk=ids["products"]).values_list("name", "price").first(),
        "bank account": BankAccount.objects.filter(pk=ids["bank-accounts"]).values_list("iban", "holder_name").first(),
        "item": PaymentItem.objects.filter(pk=ids["payment-items"]).values_list("name", "price").first(),
    }


def operations(schema: dict) -> list[tuple[str, str]]:
    found = []
    for path, item in schema["paths"].items():
        if "{" not in path or path.startswith(NOT_USER_OBJECTS):
            continue
        found += [(method, path) for method in ("get", "put", "patch", "delete", "post") if method in item]
    return found


class _Ids(dict):
    """Path parameters: A's object of the path's kind for {id}; any other parameter (an approval
    request, an obligation) and the staff-only kinds (bank files and statements) take the id of
    A's group, which B must not reach either way."""

    def __missing__(self, key: str) -> int:
        return self["fallback"]


def attempt(world: World, b, ids: dict, body_for: dict, method: str, path: str) -> int:
    group = ids["payment-groups"]
    params = _Ids(id=ids.get(path.split("/")[2], group), method_id=ids["method_id"], fallback=group)
    url = world.server.base_url + path.format_map(params)
    action = path.rstrip("/").split("/")[-1]
    body = body_for.get(action) or body_for.get(method) or {}
    response = requests.request(
        method.upper(),
        url,
        json=None if method in ("get", "delete") else body,
        headers=world.headers(b.user_id),
        timeout=60,
    )
    return response.status_code


def run(world: World) -> tuple[dict, list[str]]:
    a, b, c = world.users[2], world.users[3], world.users[4]
    world.server.start()
    try:
        ids = create_objects(world, a, c, staff_catalogue(world))
        schema = requests.get(world.server.base_url + "/api/schema/?format=json", timeout=60).json()
        before = snapshot(a, ids)
        rows = []
        for method, path in operations(schema):
            if (method, path) in PUBLIC:
                rows.append((method.upper(), path, "-", "public catalogue: allowed for everyone"))
                continue
            code = attempt(world, b, ids, bodies(a, b), method, path)
            verdict = "refused" if code in REFUSED else "refused by validation" if code == 400 else "VIOLATION"
            rows.append((method.upper(), path, code, verdict))
        after = snapshot(a, ids)
    finally:
        world.server.stop()
    violations = [f"user B got {code} on {m} {p}" for m, p, code, verdict in rows if verdict == "VIOLATION"]
    violations += [f"A's {key} changed: {before[key]} -> {after[key]}" for key in before if before[key] != after[key]]
    figures = {
        "operations_tried": sum(1 for row in rows if row[2] != "-"),
        "refused": sum(1 for row in rows if row[3] == "refused"),
        "refused_by_validation": sum(1 for row in rows if row[3] == "refused by validation"),
        "public_skipped": sum(1 for row in rows if row[2] == "-"),
        "violations": len(violations),
        "table": [" ".join(str(v) for v in row) for row in rows],
    }
    return figures, violations
