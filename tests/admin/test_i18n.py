"""Staff read the back office in Chinese first; English is one click away (issue item 8)."""

import re


def test_the_back_office_speaks_chinese_by_default(world, login, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = login(world.reviewer_user).get("/admin/").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "注销" in html  # the admin's own strings come translated


def test_english_is_available_from_the_language_switch(world, login, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = login(world.reviewer_user)
    html = client.get("/admin/").content.decode()
    assert re.search(r'<form action="/i18n/setlang/"[^>]*class="zb-language"', html)
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert '<html lang="en"' in client.get("/admin/").content.decode()
