"""HTML extraction: JSON-LD, meta/Open Graph, mailto/tel, social links, visible text."""

from domain.extract import EMAIL_RE, PHONE_RE, extract, from_markdown, organisations, people, social_links
from tests.fakes.site import pages

URL = "https://acme.test/"


def test_json_ld_organisation_and_person_are_read_including_graphs_and_nested_employees():
    html = """<html><head><script type="application/ld+json">
    {"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"x"},
      {"@type":["Organization","LocalBusiness"],"name":"Acme","employee":[{"@type":"Person","name":"Jane Doe",
       "jobTitle":"Owner"}]}]}</script>
    <script type="application/ld+json">{ not json </script></head><body>hi</body></html>"""
    page = extract(html, URL)
    assert [o["name"] for o in organisations(page)] == ["Acme"]
    assert [p["jobTitle"] for p in people(page)] == ["Owner"]
    assert "Owner" in page.evidence_text()


def test_meta_open_graph_title_and_visible_text_without_scripts_or_styles():
    html = """<html><head><title> Acme &amp; Sons | Roofing </title>
    <meta name="description" content="Roofs   in Austin"><meta property="og:site_name" content="Acme &amp; Sons">
    <style>.x{color:red}</style></head><body><script>var secret = 1;</script><noscript>enable js</noscript>
    <h1>Welcome</h1><p>We fix <b>roofs</b>.</p></body></html>"""
    page = extract(html, URL)
    assert page.title == "Acme & Sons | Roofing"
    assert page.meta == {"description": "Roofs in Austin", "og:site_name": "Acme & Sons"}
    assert page.text == "Welcome\nWe fix roofs."
    assert "secret" not in page.text and "color" not in page.text and "enable js" not in page.text


def test_mailto_tel_and_text_contacts_are_collected():
    html = """<body><a href="mailto:Sales@Acme.test?subject=hi">Mail</a> <a href="tel:+1-512-555-0100">Call</a>
    <p>Or write to jobs@acme.test, or call (512) 555-0199.</p></body>"""
    page = extract(html, URL)
    assert page.emails == ["sales@acme.test", "jobs@acme.test"]
    assert page.phones == ["+1-512-555-0100", "(512) 555-0199"]


def test_social_profiles_are_grouped_and_share_links_skipped():
    found = social_links(["https://www.linkedin.com/company/acme/", "https://twitter.com/intent/tweet?x=1",
                          "https://x.com/acme", "https://facebook.com/sharer.php?u=1", "https://example.com/a"])
    assert found == {"linkedin": ["https://www.linkedin.com/company/acme/"], "twitter": ["https://x.com/acme"]}


def test_relative_links_are_made_absolute_and_link_text_kept():
    page = extract('<a href="/team">Our   team</a><a href="javascript:void(0)">x</a>', "https://acme.test/about")
    assert [(link.href, link.text) for link in page.links] == [("https://acme.test/team", "Our team")]


def test_broken_markup_never_raises():
    page = extract("<html><body><p>unclosed <div><a href='/x'>link</body><<>>", URL)
    assert "unclosed" in page.text


def test_the_test_site_home_page_parses_as_a_roofing_contractor():
    page = extract(pages()["/"], URL)
    assert organisations(page)[0]["name"] == "Acme Roofing"
    assert page.socials["linkedin"] == ["https://www.linkedin.com/company/acme-roofing"]
    assert "twitter" not in page.socials  # only a share link


def test_regexes_find_plain_emails_and_phones_but_not_lookalikes():
    assert EMAIL_RE.findall("mail me: a.b+c@sub.example.co.uk, not user@localhost") == ["a.b+c@sub.example.co.uk"]
    assert [m.group(0) for m in PHONE_RE.finditer("call +44 20 7946 0958 or 512-555-0100; order 2024")] == [
        "+44 20 7946 0958", "512-555-0100"]


def test_a_firecrawl_markdown_document_gives_the_same_shape():
    page = from_markdown("# Acme\nCall [us](tel:+15125550100) or [mail](mailto:info@acme.test)",
                         URL, {"title": "Acme", "description": "Roofs"}, ["https://www.linkedin.com/company/acme"])
    assert page.title == "Acme" and page.emails == ["info@acme.test"] and page.phones == ["+15125550100"]
    assert page.socials == {"linkedin": ["https://www.linkedin.com/company/acme"]}
