"""R-PLAN-1 in the back office: staff add a plan's problem codes; the decision form offers the
claim's plan's codes for its reason, labelled from the rows, and refuses any other."""

import re

from catalogue.models import ProblemCode

from ..factories import PlanFactory
from .helpers import act_url, claim_url, seen_of


def test_r_plan_1_staff_add_a_code_and_the_reviewer_decides_with_it(world, login):
    apparel = PlanFactory(code="apparel_30d", name="服饰30天质保险", insurers=[world.insurer])
    world.enrol(world.shop, at=world.since, plan=apparel)
    claim = world.claim(plan="apparel_30d", reason="damaged")

    staff = login(world.staff_user)
    answer = staff.post(
        "/admin/catalogue/problemcode/add/",
        {
            "plan": apparel.pk,
            "reason": "damaged",
            "code": "moth_holes",
            "label_zh_hans": "虫蛀",
            "label_en": "Moth holes",
            "position": 10,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert ProblemCode.objects.filter(plan=apparel, code="moth_holes", reason="damaged").exists()
    # A reason the plan does not take is refused with the reason in words.
    refused = staff.post(
        "/admin/catalogue/problemcode/add/",
        {"plan": apparel.pk, "reason": "wrong_size", "code": "too_small", "label_zh_hans": "小", "label_en": "Small"},
    )
    assert refused.status_code == 200 and not ProblemCode.objects.filter(code="too_small").exists()

    reviewer = login(world.reviewer_user)
    page = reviewer.get(act_url(claim, "approve")).content.decode()
    select = re.search(r'<select name="problem_code".*?</select>', page, flags=re.S).group(0)
    offered = re.findall(r'<option value="([a-z_]+)"', select)
    assert offered == ["torn", "stained", "moth_holes"]
    assert ">Moth holes<" in page
    seen = seen_of(reviewer.get(act_url(claim, "approve")), "approve")
    reviewer.post(act_url(claim, "approve"), {"seen": seen, "problem_code": "leaking_water_or_power"})
    claim.refresh_from_db()
    assert claim.status == "submitted"
    reviewer.post(act_url(claim, "approve"), {"seen": seen, "problem_code": "moth_holes"})
    claim.refresh_from_db()
    assert (claim.status, claim.decision.problem_code) == ("awaiting_return", "moth_holes")
    assert "Moth holes" in reviewer.get(claim_url(claim)).content.decode()
