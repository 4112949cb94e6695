"""Message templates: every kind in French and English on every channel, the SMS within one
message, the HTML escaped, a broken template refused with nothing changed, the retailer's
own template used, and a preview with a real customer's data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from omnicanal.engagement import samples, templates
from omnicanal.engagement.errors import EngagementForbidden, UnknownTrigger
from omnicanal.engagement.gsm import SMS_LENGTH, gsm_length, to_gsm
from omnicanal.engagement.models import TRIGGER_KINDS, Template
from omnicanal.engagement.rendering import compose, default_source
from omnicanal.engagement.templates import InvalidTemplate, TemplateSource
from tests.builders import snapshot
from tests.engagement.template_builders import (
    HEAD_OFFICE,
    READER,
    make_customer,
    make_dress,
    make_store,
    with_defaults,
)
from tests.orders.builders import make_cart

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)  # a Saturday, 16:00 in Paris
LINKS = {
    "preference_url": "https://shop.example/preferences?t=abc&lang=fr",
    "unsubscribe_url": "https://shop.example/unsubscribe?t=abc",
    "sms_stop": "STOP au 36111",
}
KINDS_AND_LANGUAGES = [(kind, language) for kind in TRIGGER_KINDS for language in ("fr", "en")]
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# What each kind's e-mail must say, from the typical data, in each language.
SAYS = {
    "abandoned_cart": {
        "fr": ["Robe Alma", "79,90\xa0€", "RELANCE-7QX2M9", "10\xa0%", "21 mars 2026"],
        "en": ["Robe Alma", "€79.90", "RELANCE-7QX2M9", "10%", "March 21, 2026"],
    },
    "pickup_ready": {
        "fr": [
            "K7M4QX",
            "Lyon Presqu'île",
            "12 rue de la République, 69002 Lyon",
            "lundi : 10:00\u201319:00",
            "dimanche : fermé",
        ],
        "en": [
            "K7M4QX",
            "Lyon Presqu'île",
            "12 rue de la République, 69002 Lyon",
            "Monday: 10:00\u201319:00",
            "Sunday: closed",
        ],
    },
    "reservation_expiring": {
        "fr": ["samedi 14 mars à 18:00", "K7M4QX", "Lyon Presqu'île"],
        "en": ["Saturday 14 March at 18:00", "K7M4QX", "Lyon Presqu'île"],
    },
    "back_in_stock": {
        "fr": ["Baskets Nova", "Lyon Presqu'île", "10:00\u201319:00"],
        "en": ["Baskets Nova", "Lyon Presqu'île", "10:00\u201319:00"],
    },
    "order_shipped": {"fr": ["colissimo", "6A12345678901"], "en": ["colissimo", "6A12345678901"]},
    "order_delayed": {"fr": ["17 mars 2026"], "en": ["March 17, 2026"]},
    "return_received": {"fr": ["79,90\xa0€", "Robe Alma"], "en": ["€79.90", "Robe Alma"]},
    "return_refunded": {"fr": ["79,90\xa0€"], "en": ["€79.90"]},
    "review_request": {"fr": ["Robe Alma", "Baskets Nova"], "en": ["Robe Alma", "Baskets Nova"]},
    "win_back": {"fr": ["124 jours", "RELANCE-7QX2M9"], "en": ["124 days", "RELANCE-7QX2M9"]},
}


def _typical(kind: str, language: str, **more: object) -> dict[str, object]:
    return {**samples.sample_context(kind, language=language, now=NOW), **LINKS, **more}


def _shipped(kind: str, language: str, channel: str, **more: object) -> templates.Rendered:
    return compose(
        default_source(kind, language, channel),
        language=language,
        channel=channel,
        context=_typical(kind, language, **more),
    )


# --- the shipped templates --------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "language"), KINDS_AND_LANGUAGES)
def test_every_kind_has_an_email_that_says_its_facts_in_its_language(kind, language):
    rendered = _shipped(kind, language, "email")

    assert rendered.subject and "\n" not in rendered.subject
    for said in SAYS[kind][language]:
        assert said in rendered.text, said
    assert rendered.html is not None
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in rendered.html
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "None" not in part and "{{" not in part and "{%" not in part
        assert not ISO_MOMENT.search(part), "a raw UTC time reached the customer"


@pytest.mark.parametrize(("kind", "language"), KINDS_AND_LANGUAGES)
def test_every_kinds_sms_fits_one_message_in_the_gsm_alphabet(kind, language):
    rendered = _shipped(kind, language, "sms")

    length = gsm_length(rendered.text)
    assert length is not None, rendered.text
    assert 20 < length <= SMS_LENGTH, (length, rendered.text)
    assert rendered.subject == "" and rendered.html is None
    assert "\n" not in rendered.text and "None" not in rendered.text


@pytest.mark.parametrize(("kind", "language"), KINDS_AND_LANGUAGES)
def test_every_kinds_push_has_a_title_and_a_short_text(kind, language):
    rendered = _shipped(kind, language, "push")

    assert rendered.subject
    assert 10 < len(rendered.text) <= templates.PUSH_LENGTH
    assert rendered.html is None


def test_the_pickup_sms_carries_the_code_the_store_and_todays_hours():
    rendered = _shipped("pickup_ready", "fr", "sms")

    assert rendered.text == (
        "Camille, votre commande vous attend à Lyon Presqu'ile. Code de retrait : K7M4QX. "
        "Aujourd'hui : 10:00-19:00."
    )


def test_a_coupon_for_an_amount_is_said_as_money():
    coupon = {
        "code": "RELANCE-AB12CD",
        "percent": None,
        "amount_minor": 500,
        "currency": "EUR",
        "valid_until": "2026-03-21T22:59:00+00:00",
    }

    french = _shipped("abandoned_cart", "fr", "email", coupon=coupon)
    english = _shipped("abandoned_cart", "en", "email", coupon=coupon)

    assert "5,00\xa0€ de réduction" in french.text
    assert "21 mars 2026" in french.text
    assert "€5.00 off" in english.text


def test_a_cart_reminder_without_a_coupon_says_nothing_of_one():
    rendered = _shipped("abandoned_cart", "fr", "email", coupon=None)

    assert "code" not in rendered.text.lower().split("votre panier vous suit")[0]
    assert "réduction" not in rendered.text


def test_a_marketing_email_carries_the_preference_and_unsubscribe_links():
    rendered = _shipped("win_back", "fr", "email")

    assert "Gérer mes préférences : https://shop.example/preferences?t=abc&lang=fr" in rendered.text
    assert "Me désabonner : https://shop.example/unsubscribe?t=abc" in rendered.text
    assert rendered.html is not None
    assert 'href="https://shop.example/preferences?t=abc&amp;lang=fr"' in rendered.html
    assert 'href="https://shop.example/unsubscribe?t=abc"' in rendered.html


def test_a_service_email_without_links_has_no_marketing_footer():
    context = samples.sample_context("return_refunded", language="fr", now=NOW)

    rendered = compose(
        default_source("return_refunded", "fr", "email"),
        language="fr",
        channel="email",
        context=context,
    )

    assert "désabonner" not in rendered.text and "préférences" not in rendered.text


def test_a_hostile_first_name_is_escaped_in_the_html():
    hostile = '<script>alert("x")</script>'
    customer = {"first_name": hostile, "name": hostile}
    store = {
        **samples.sample_context("pickup_ready", language="fr", now=NOW)["store"],
        "name": '"><img src=x onerror=alert(1)>',
    }

    rendered = _shipped("pickup_ready", "fr", "email", customer=customer, store=store)

    assert rendered.html is not None
    assert "<script>" not in rendered.html and "<img src=x" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in rendered.html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    assert hostile in rendered.text  # the text part is plain text: nothing to run there


def test_an_sms_is_brought_into_the_gsm_alphabet():
    assert to_gsm("Prête à Presqu\u2019île \u2014 ça « marche » œuvre") == (
        'Prete à Presqu\'ile - ca " marche " oeuvre'
    )
    assert gsm_length("10 €") == 5
    assert gsm_length("prête") is None


# --- saving the retailer's own ----------------------------------------------------------------


def _templates_count(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Template)) or 0)


def _save(platform, **fields):  # type: ignore[no-untyped-def]
    values = {
        "trigger_code": "ABANDONED_CART",
        "language": "fr",
        "channel": "email",
        "subject": "Coucou {{ customer.first_name }}",
        "body_text": "Votre panier : {{ cart.units }} articles.",
        "body_html": None,
        "actor": HEAD_OFFICE,
        **fields,
    }
    with platform.db.transaction() as session:
        row = templates.save_template(session, **values)
        return row.id


@pytest.mark.parametrize(
    ("fields", "part", "problem"),
    [
        ({"body_text": "Bonjour {% if customer.first_name %}"}, "body_text", "syntax"),
        ({"subject": "Bonjour {{ customer.first_name "}, "subject", "syntax"),
        ({"body_html": "<p>{{ cart.units|center(80) }}</p>"}, "body_html", "syntax"),
        ({"body_text": "{% macro m() %}x{% endmacro %}{{ m() }}"}, "body_text", "unsupported"),
        ({"body_text": "{% include 'x' %}"}, "body_text", "unsupported"),
        (
            {
                "body_text": "{% for a in lines %}{% for b in lines %}{% for c in lines %}"
                "{% endfor %}{% endfor %}{% endfor %}"
            },
            "body_text",
            "unsupported",
        ),
        ({"body_text": "{{ 'x' * 100000000 }}"}, "body_text", "render"),
        ({"body_text": "{{ 1 / (cart.units - 2) }}"}, "body_text", "render"),
        ({"body_text": "{{ cart.lines.append(1) }}"}, "body_text", "render"),
        ({"body_text": "{{ range(10) }}"}, "body_text", "render"),
        ({"body_text": "{{ '%999999999s'|string % 'x' }}"}, "body_text", "render"),
        ({"subject": "   "}, "subject", "empty"),
        ({"body_text": ""}, "body_text", "empty"),
        ({"body_text": "x" * 20_001}, "body_text", "too_long"),
        ({"body_text": "bad \x00 byte"}, "body_text", "unreadable"),
        ({"channel": "sms", "body_html": "<p>x</p>"}, "body_html", "unsupported"),
        (
            {"channel": "sms", "body_text": "{{ customer.first_name }} " + "bla " * 40},
            "body_text",
            "too_long",
        ),
    ],
)
def test_a_template_that_cannot_be_used_is_refused_and_nothing_changes(
    platform, fields, part, problem
):
    with_defaults(platform)
    before = snapshot(platform)

    with pytest.raises(InvalidTemplate) as refused:
        _save(platform, **fields)

    assert refused.value.field == part
    assert refused.value.extra["problem"] == problem
    assert refused.value.extra["detail_fr"]
    assert snapshot(platform) == before


def test_a_syntax_error_names_its_line(platform):
    with_defaults(platform)

    with pytest.raises(InvalidTemplate) as refused:
        _save(platform, body_text="Bonjour,\n\n{% if customer.first_name %}\nsans fin")

    assert refused.value.extra["line"] == 4
    assert "line 4" in refused.value.detail and "ligne 4" in refused.value.extra["detail_fr"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"trigger_code": "NOPE"}, UnknownTrigger),
        ({"language": "de"}, InvalidTemplate),
        ({"channel": "post"}, InvalidTemplate),
        ({"actor": READER}, EngagementForbidden),
    ],
)
def test_a_template_for_nothing_or_by_a_reader_is_refused(platform, fields, error):
    with_defaults(platform)

    with pytest.raises(error):
        _save(platform, **fields)

    assert _templates_count(platform) == 0


def test_the_retailers_template_is_used_and_reset_to_the_shipped_one(platform):
    with_defaults(platform)
    _save(platform)
    context = _typical("abandoned_cart", "fr")

    with platform.db.reading() as session:
        own = templates.render(
            session,
            trigger_code="ABANDONED_CART",
            kind="abandoned_cart",
            language="fr",
            channel="email",
            context=context,
        )
        english = templates.render(
            session,
            trigger_code="ABANDONED_CART",
            kind="abandoned_cart",
            language="en",
            channel="email",
            context=context,
        )
    with platform.db.transaction() as session:
        reset = templates.reset_template(
            session,
            trigger_code="ABANDONED_CART",
            language="fr",
            channel="email",
            actor=HEAD_OFFICE,
        )
    with platform.db.reading() as session:
        shipped = templates.render(
            session,
            trigger_code="ABANDONED_CART",
            kind="abandoned_cart",
            language="fr",
            channel="email",
            context=context,
        )

    assert own.subject == "Coucou Camille"
    assert own.text.startswith("Votre panier : 2 articles.")
    assert "Me désabonner" in own.text  # the footer is not the template's to drop
    assert own.html is not None and "<p>Votre panier : 2 articles.</p>" in own.html
    assert english.subject == "Camille, your basket is waiting"
    assert reset is True
    assert shipped.subject == "Camille, votre panier vous attend"


def test_saving_again_replaces_the_template(platform):
    with_defaults(platform)
    first = _save(platform, subject="Un")

    second = _save(platform, subject="Deux")

    assert first == second
    assert _templates_count(platform) == 1
    with platform.db.reading() as session:
        views = templates.list_templates(session, actor=READER, trigger_code="ABANDONED_CART")
    own = [view for view in views if view.customised]
    assert [(v.language, v.channel, v.subject) for v in own] == [("fr", "email", "Deux")]
    assert len(views) == 6  # two languages, three channels


def test_a_saved_template_that_fails_on_real_data_gives_way_to_the_shipped_one(platform, caplog):
    with_defaults(platform)
    _save(platform, body_text="{{ 100 // cart.units }} par article")
    empty = _typical("abandoned_cart", "fr")
    empty["cart"] = {**empty["cart"], "units": 0}  # type: ignore[dict-item]

    with platform.db.reading() as session:
        rendered = templates.render(
            session,
            trigger_code="ABANDONED_CART",
            kind="abandoned_cart",
            language="fr",
            channel="email",
            context=empty,
        )

    assert rendered.subject == "Camille, votre panier vous attend"
    assert "the shipped one is sent instead" in caplog.text


def test_a_draft_is_rendered_with_typical_data_before_it_is_saved():
    rendered = templates.render_draft(
        kind="pickup_ready",
        language="fr",
        channel="sms",
        source=TemplateSource("", "Code {{ fulfilment.pickup_code }} chez {{ store.name }}", None),
        now=NOW,
    )

    assert rendered.text == "Code K7M4QX chez Lyon Presqu'ile"
    with pytest.raises(InvalidTemplate):
        templates.render_draft(
            kind="pickup_ready",
            language="fr",
            channel="sms",
            source=TemplateSource("", "{% if %}", None),
            now=NOW,
        )


# --- preview with a real customer -------------------------------------------------------------


def test_a_preview_uses_the_customers_own_open_cart(platform):
    with_defaults(platform)
    make_store(platform)
    sku = make_dress(platform)
    profile_id = make_customer(platform)
    make_cart(platform, (sku, 2), customer_ref="email:ines@example.fr")

    with platform.db.reading() as session:
        rendered = templates.preview(
            session,
            trigger_code="ABANDONED_CART",
            language="fr",
            channel="email",
            profile_id=profile_id,
            now=NOW,
        )

    assert rendered.sample is False
    assert rendered.subject == "Inès, votre panier vous attend"
    assert "2 \u00d7 Produit ROBE-ALMA, taille M : 99,80\xa0€" in rendered.text
    assert "Me désabonner" in rendered.text


def test_a_preview_for_a_customer_without_a_pickup_shows_a_labelled_sample(platform):
    with_defaults(platform)
    profile_id = make_customer(platform)

    with platform.db.reading() as session:
        email = templates.preview(
            session,
            trigger_code="PICKUP_READY",
            language="fr",
            channel="email",
            profile_id=profile_id,
            now=NOW,
        )
        sms = templates.preview(
            session,
            trigger_code="PICKUP_READY",
            language="en",
            channel="sms",
            profile_id=profile_id,
            now=NOW,
        )

    assert email.sample is True and sms.sample is True
    assert email.subject == "[Exemple] Votre commande vous attend à Lyon Presqu'île"
    assert "Bonjour Inès" in email.text and "K7M4QX" in email.text
    assert "désabonner" not in email.text  # a service message has no marketing footer
    assert sms.text.startswith("Inès, your order is waiting")
