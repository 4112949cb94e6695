"""Messages in the back office: head office reads the overview (a chart per day, the reasons
in French, the unjust messages that must read 0), the delivery log with masked addresses,
the withheld and withdrawn messages with their reasons, one message in full and the local
mailbox; it changes triggers and the policy (audited); a wrong form says which field in
French and changes nothing."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from omnicanal.engagement import situation, triggers
from omnicanal.engagement.access import READ_SCOPE
from omnicanal.engagement.measures import DayCounts
from omnicanal.engagement.models import Message
from omnicanal.platform import audit
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.web.admin.message_chart import day_chart
from omnicanal.web.admin.message_labels import masked_recipient
from tests.builders import snapshot
from tests.web.messages_world import add_message, message_scene, till_return
from tests.web.test_store_basket import csrf_of
from tests.web.test_store_pages import build_lyon, build_zoe, make_staff, sign_in

ADMIN = OPERATOR


@pytest.fixture
def hugo(platform: Platform, client: TestClient) -> dict[str, str]:
    """Lyon, Zoé and Inès and their messages (``messages_world``); Hugo of head office signed
    in. Returns the messages' and the people's ids."""
    build_lyon(platform)
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sku = build_zoe(platform, client)
    ids = message_scene(platform, client, sku)
    client.cookies.clear()
    sign_in(client, "hugo@example.fr")
    return ids


def _message(platform: Platform, message_id: str) -> Message:
    with platform.db.reading() as session:
        found = session.get(Message, message_id)
        assert found is not None
        return found


def _rows(page: str, marker: str) -> list[str]:
    """The body rows of the table after ``marker``."""
    table = page.split(marker, 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return re.findall(r"<tr[ >].*?</tr>", body, re.S)


# --- the overview ------------------------------------------------------------------------------


def test_the_overview_draws_each_day_and_says_why_messages_were_kept_back(platform, client, hugo):
    page = client.get("/admin/messages")

    assert page.status_code == 200
    svg = page.text.split('<svg viewBox="0 0 720 230" role="img"', 1)[1].split("</svg>")[0]
    assert (
        "Messages par jour sur les 30 derniers jours — envoyés : 1, retenus : 1, retirés : 1."
        in svg
    )
    assert svg.count('class="piece-sent"') == 1
    assert svg.count('class="piece-withheld"') == 1
    assert svg.count('class="piece-withdrawn"') == 1
    assert svg.count("<g>") == 30
    assert re.search(r'id="unjust-count">0<', page.text)
    assert 'id="unjust-title"' not in page.text
    reasons = page.text.split('id="reason-counts"')[1].split("</ul>")[0]
    assert "Retenu : retour</span> — 1 message" in reasons
    assert "Retiré : le panier a été acheté</span> — 1 message" in reasons
    # The till's facts: the sale known at once, the return four minutes after it happened.
    assert re.search(r'id="till-p95">\(95\u00a0% en moins de 4 min\)<', page.text)


def test_a_message_sent_before_the_till_told_of_a_return_reads_as_unjust(platform, client, hugo):
    """Inès had returned an item at the till an hour before her reminder left, but the till
    told the policy only now: replayed with what had happened by then, the reminder should
    have been withheld. It is the one unjust message, and the page names it."""
    sent_at = _message(platform, hugo["sent"]).sent_at
    assert sent_at is not None
    till_return(platform, hugo["ines"], at=sent_at - timedelta(hours=1), learned=utcnow())

    page = client.get("/admin/messages?days=7")

    assert page.status_code == 200
    assert re.search(r'id="unjust-count">1<', page.text)
    unjust = page.text.split('id="unjust-title"')[1].split("</section>")[0]
    assert f'href="/admin/messages/{hugo["sent"]}"' in unjust
    assert "Panier abandonné" in unjust and "Inès" in unjust
    assert "Retenu : retour<" in unjust


@pytest.mark.parametrize("days", ["12", "trente", "0", "9" * 30])
def test_a_period_off_the_list_gets_a_french_sentence(platform, client, hugo, days):
    page = client.get("/admin/messages", params={"days": days})

    assert page.status_code == 400
    assert "n\u2019est pas une période de la vue d\u2019ensemble" in page.text


# --- the delivery log ---------------------------------------------------------------------------


def test_the_log_names_the_person_and_masks_the_address(platform, client, hugo):
    page = client.get("/admin/messages/log")

    assert page.status_code == 200
    rows = _rows(page.text, 'class="stack messages-log"')
    assert len(rows) == 3
    assert [re.search(r'href="/admin/messages/([0-9A-Z]{26})"', row).group(1) for row in rows] == [  # type: ignore[union-attr]
        hugo["withheld"],
        hugo["sent"],
        hugo["withdrawn"],
    ]
    sent = rows[1]
    assert "Inès, votre panier vous attend" in sent
    assert "Inès" in sent and "i•••@example.fr" in sent
    assert "Boîte locale" in sent and "Envoyé" in sent and "Panier abandonné" in sent
    assert "Zoé" in rows[0] and "Retenu" in rows[0]
    assert "ines@example.fr" not in page.text and "zoe@example.fr" not in page.text


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ({"status": "sent"}, 1),
        ({"status": "withheld"}, 1),
        ({"status": "withdrawn"}, 1),
        ({"kind": "abandoned_cart"}, 3),
        ({"kind": "pickup_ready"}, 0),
        ({"channel": "email", "status": "sent"}, 1),
        ({"channel": "sms"}, 0),
        ({"status": "failed"}, 0),
    ],
)
def test_the_log_filters_by_status_trigger_and_channel(platform, client, hugo, query, count):
    page = client.get("/admin/messages/log", params=query)

    assert page.status_code == 200
    assert (f">{count} message<" if count < 2 else f">{count} messages<") in page.text


@pytest.mark.parametrize(
    "query",
    [{"status": "lost"}, {"kind": "birthday"}, {"channel": "pigeon"}, {"page": "0"}],
)
def test_a_filter_off_the_list_gets_a_french_sentence(platform, client, hugo, query):
    before = snapshot(platform)

    page = client.get("/admin/messages/log", params=query)

    assert page.status_code == 400
    assert "n\u2019est pas" in page.text
    assert snapshot(platform) == before


def test_the_log_reads_a_page_at_a_time(platform, client, hugo):
    """30 more planned messages: 33 in all, 25 on the first page, 8 on the second."""
    for minutes in range(30):
        add_message(
            platform,
            profile_id=hugo["zoe"],
            created_at=utcnow() - timedelta(days=5, minutes=minutes),
        )

    first = client.get("/admin/messages/log")
    link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&"))

    assert len(_rows(first.text, 'class="stack messages-log"')) == 25
    assert len(_rows(second.text, 'class="stack messages-log"')) == 8
    assert "Page 2 sur 2" in second.text
    assert 'rel="next"' not in second.text


# --- withheld and withdrawn, one message, the mailbox --------------------------------------------


def test_the_withheld_list_gives_each_reason_in_french(platform, client, hugo):
    page = client.get("/admin/messages/withheld")

    assert page.status_code == 200
    rows = _rows(page.text, 'class="stack withheld"')
    assert len(rows) == 2
    assert "Retenu : retour il y a 2 jours" in rows[0] and "Zoé" in rows[0]
    assert "Retiré : le panier a été acheté" in rows[1]
    assert hugo["sent"] not in page.text


def test_a_message_shows_every_decision_its_delivery_and_its_content_safely(platform, client, hugo):
    sent = _message(platform, hugo["sent"])
    assert sent.rendered_html and sent.rendered_text

    page = client.get(f"/admin/messages/{hugo['sent']}")

    assert page.status_code == 200
    assert "<h1>Inès, votre panier vous attend</h1>" in page.text
    decisions = page.text.split('id="decisions-title"')[1].split("</ol>")[0]
    assert decisions.count("<li>") == 2
    assert "À la planification" in decisions and "À l\u2019envoi" in decisions
    assert "Accepté par le prestataire" in page.text and "Boîte locale" in page.text
    text = re.search(r'<pre class="message-text" id="message-text">(.*?)</pre>', page.text, re.S)
    assert text is not None and html.unescape(text.group(1)) == sent.rendered_text
    # The HTML is shown in a frame that runs nothing, never poured into the page.
    frame = re.search(r'<iframe class="message-html" sandbox="" [^>]*src="([^"]+)"', page.text)
    assert frame is not None
    assert sent.rendered_html[:40] not in page.text
    content = client.get(frame.group(1))
    assert content.status_code == 200
    assert content.text == sent.rendered_html
    policy = content.headers["content-security-policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy


def test_a_message_without_html_has_no_content_to_frame(platform, client, hugo):
    page = client.get(f"/admin/messages/{hugo['withheld']}/content")

    assert page.status_code == 404
    assert "content-security-policy" in page.headers
    assert "sandbox" not in page.headers["content-security-policy"]


def test_a_withdrawn_message_says_why_and_that_nothing_was_sent(platform, client, hugo):
    page = client.get(f"/admin/messages/{hugo['withdrawn']}")

    assert page.status_code == 200
    assert "Retiré : le panier a été acheté" in page.text
    assert "À l\u2019arrivée d\u2019un fait" in page.text
    assert "Rien n\u2019a été envoyé" in page.text


def test_an_unknown_message_gets_a_french_sentence(platform, client, hugo):
    page = client.get("/admin/messages/01NOPE")

    assert page.status_code == 404
    assert "Message inconnu : aucun message n\u2019a l\u2019identifiant « 01NOPE »." in page.text


def test_the_mailbox_holds_what_was_delivered_to_it_newest_first(platform, client, hugo):
    later = add_message(
        platform,
        profile_id=hugo["zoe"],
        kind="return_refunded",
        purpose="transactional",
        status="sent",
        provider="mailbox",
        sent_at=utcnow(),
        rendered_subject="Votre remboursement",
        rendered_text="Bonjour Zoé, c\u2019est remboursé.",
    )

    page = client.get("/admin/messages/mailbox")

    assert page.status_code == 200
    listed = re.findall(r'href="/admin/messages/([0-9A-Z]{26})" class="subject"', page.text)
    assert listed == [later, hugo["sent"]]
    assert "Votre remboursement" in page.text and "Inès, votre panier vous attend" in page.text
    assert hugo["withheld"] not in page.text


# --- triggers ------------------------------------------------------------------------------------


def _trigger(platform: Platform, code: str):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return triggers.get_trigger(session, code=code, actor=_reader())


def _reader():  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(ADMIN, scopes=frozenset({READ_SCOPE}))


def _trigger_form(page: str) -> dict[str, str]:
    """The trigger form's fields as the page fills them."""
    form = page.split('id="settings-title"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" type="(?:text|number)"[^>]*value="([^"]*)"', form))
    fields.update(
        {name: "on" for name in re.findall(r'type="checkbox" name="([^"]+)"[^>]* checked', form)}
    )
    fields.update(dict(re.findall(r'type="radio" name="([^"]+)" value="([^"]+)" checked', form)))
    for name, chosen in re.findall(
        r'<select id="[^"]*" name="([^"]+)">.*?<option value="([^"]*)" selected', form, re.S
    ):
        fields[name] = chosen
    return {name: value for name, value in fields.items() if value}


def test_the_triggers_read_in_french(platform, client, hugo):
    page = client.get("/admin/messages/triggers")

    assert page.status_code == 200
    rows = _rows(page.text, 'class="stack triggers"')
    assert len(rows) == 10
    cart = next(row for row in rows if "Relance panier abandonné" in row)
    assert "Aussitôt" in cart
    assert "10\u00a0% de remise, valable 7 jours" in cart
    assert "Actif" in cart and "Marketing" in cart


def test_a_trigger_change_is_saved_audited_and_said(platform, client, hugo):
    path = "/admin/messages/triggers/ABANDONED_CART"
    fields = _trigger_form(client.get(path).text)
    fields.update(
        {
            "csrf": csrf_of(client, path),
            "delay": "90",
            "delay_unit": "minutes",
            "channel-email": "2",
            "channel-sms": "1",
            "coupon_kind": "amount",
            "coupon_value": "5,50",
            "coupon_days": "14",
        }
    )

    saved = client.post(path, data=fields, follow_redirects=False)
    after = client.get(saved.headers["location"])

    assert saved.status_code == 303, saved.text
    assert "Le déclencheur est enregistré." in after.text
    trigger = _trigger(platform, "ABANDONED_CART")
    assert trigger.delay_minutes == 90
    assert trigger.channels == ["sms", "email"]
    assert trigger.coupon == {"amount_minor": 550, "valid_days": 14}
    assert trigger.active is True
    with platform.db.reading() as session:
        [entry] = audit.list_entries(session, what="message_trigger")
    assert (entry.actor, entry.resource_id) == ("operator:staff:hugo@example.fr", "ABANDONED_CART")
    assert "Déclencheur de messages" in client.get("/admin/audit").text
    again = client.get(path).text
    assert 'value="5,50"' in again and 'value="1" selected' in again


def test_pausing_a_trigger_asks_for_a_confirmation(platform, client, hugo):
    path = "/admin/messages/triggers/WIN_BACK"
    fields = _trigger_form(client.get(path).text)
    fields.pop("active")
    fields["csrf"] = csrf_of(client, path)
    before = snapshot(platform)

    refused = client.post(path, data=fields, follow_redirects=False)
    unchanged = snapshot(platform)
    paused = client.post(path, data={**fields, "confirm": "yes"}, follow_redirects=False)

    assert refused.status_code == 422
    assert "cochez la case pour confirmer" in refused.text
    assert unchanged == before
    assert paused.status_code == 303
    assert "trigger_paused" in paused.headers["location"]
    assert _trigger(platform, "WIN_BACK").active is False


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"delay": "-1"}, "Délai"),
        ({"delay": "1000", "delay_unit": "days"}, "Délai"),
        ({"channel-email": ""}, "Canaux"),
        ({"channel-email": "1", "channel-sms": "1"}, "Canaux"),
        ({"coupon_kind": "percent", "coupon_value": "150"}, "Bon de réduction"),
        ({"coupon_kind": "amount", "coupon_value": "cinq"}, "Bon de réduction"),
        ({"segment": "NOPE"}, "Segment"),
        ({"name": ""}, "Nom"),
    ],
    ids=[
        "a negative delay",
        "a delay over a year",
        "no channel",
        "two channels at one place",
        "150 percent",
        "an amount in words",
        "an unknown segment",
        "no name",
    ],
)
def test_a_wrong_trigger_form_names_the_field_and_changes_nothing(
    platform, client, hugo, changes, named
):
    path = "/admin/messages/triggers/ABANDONED_CART"
    fields = _trigger_form(client.get(path).text)
    fields.update({"csrf": csrf_of(client, path), **changes})
    before = snapshot(platform)

    refused = client.post(path, data=fields)

    assert refused.status_code == 422
    assert "Rien n\u2019a changé : vérifiez ce champ." in refused.text
    assert f"<strong>{named}</strong>" in refused.text
    assert snapshot(platform) == before


def test_a_win_back_takes_its_days_within_bounds(platform, client, hugo):
    path = "/admin/messages/triggers/WIN_BACK"
    fields = {**_trigger_form(client.get(path).text), "csrf": csrf_of(client, path)}

    refused = client.post(path, data={**fields, "setting-days": "3"})
    saved = client.post(path, data={**fields, "setting-days": "90"}, follow_redirects=False)

    assert refused.status_code == 422
    assert "<strong>Réglages du type</strong>" in refused.text
    assert saved.status_code == 303
    assert _trigger(platform, "WIN_BACK").settings == {"days": 90}


def test_an_unknown_trigger_gets_a_french_sentence(platform, client, hugo):
    page = client.get("/admin/messages/triggers/NOPE")

    assert page.status_code == 404
    assert "Déclencheur inconnu" in page.text


def test_a_form_without_its_token_is_refused_and_changes_nothing(platform, client, hugo):
    path = "/admin/messages/triggers/ABANDONED_CART"
    fields = _trigger_form(client.get(path).text)
    before = snapshot(platform)

    refused = client.post(path, data={**fields, "delay": "1"})

    assert refused.status_code == 403
    assert snapshot(platform) == before


# --- the policy ----------------------------------------------------------------------------------


def _policy_form(page: str) -> dict[str, str]:
    form = page.split('id="policy-title"')[1].split("</form>")[0]
    return dict(re.findall(r'name="([^"]+)" type="(?:number|text)"[^>]*value="([^"]*)"', form))


def test_the_policy_change_reaches_the_policy_and_the_audit_log(platform, client, hugo):
    fields = _policy_form(client.get("/admin/messages/policy").text)
    assert fields["cap-email-count"] == "3" and fields["quiet_start"] == "00:00"
    fields.update(
        {
            "csrf": csrf_of(client, "/admin/messages/policy"),
            "cap-email-count": "2",
            "cap-sms-count": "",
            "cap-sms-days": "",
            "quiet_start": "20:30",
            "suppress-returned": "21",
        }
    )

    saved = client.post("/admin/messages/policy", data=fields, follow_redirects=False)
    after = client.get(saved.headers["location"])

    assert saved.status_code == 303, saved.text
    assert "La politique des messages est enregistrée." in after.text
    with platform.db.reading() as session:
        rules = situation.rules_of(session)
        [entry] = audit.list_entries(session, what="message_policy")
    assert (rules.frequency_caps["email"].count, rules.frequency_caps["email"].days) == (2, 7)
    assert "sms" not in rules.frequency_caps
    assert rules.quiet_start.isoformat(timespec="minutes") == "20:30"
    assert rules.suppression_days["returned"] == 21
    assert entry.actor == "operator:staff:hugo@example.fr"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"quiet_start": "25:00"}, "Début des heures de repos"),
        ({"quiet_end": "8h"}, "Fin des heures de repos"),
        ({"cap-email-count": "0"}, "Plafonds d\u2019envoi"),
        ({"cap-push-days": ""}, "Plafonds d\u2019envoi"),
        ({"suppress-complaint": "-2"}, "Périodes de retenue"),
        ({"suppress-returned": "4000"}, "Périodes de retenue"),
    ],
)
def test_a_wrong_policy_names_the_field_and_changes_nothing(platform, client, hugo, changes, named):
    fields = _policy_form(client.get("/admin/messages/policy").text)
    fields.update({"csrf": csrf_of(client, "/admin/messages/policy"), **changes})
    before = snapshot(platform)

    refused = client.post("/admin/messages/policy", data=fields)

    assert refused.status_code == 422
    assert f"<strong>{named}</strong>" in refused.text
    assert snapshot(platform) == before


# --- templates -----------------------------------------------------------------------------------

CART_EMAIL = "/admin/messages/templates/ABANDONED_CART/fr/email"


def _template_form(page: str) -> dict[str, str]:
    form = page.split('id="template-title"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" type="(?:text|hidden)"[^>]*value="([^"]*)"', form))
    fields.update(
        re.findall(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S)
    )
    return {name: html.unescape(value) for name, value in fields.items()}


def test_the_template_page_shows_the_shipped_template_and_finds_a_customer(platform, client, hugo):
    page = client.get(CART_EMAIL, params={"q": "zoe@example.fr"})

    assert page.status_code == 200
    assert "C\u2019est le modèle livré." in page.text
    fields = _template_form(page.text)
    assert fields["subject"] and fields["body_text"]
    found = re.search(
        r'<ul class="plain" id="preview-matches">.*?href="([^"]+)">Zoé</a>', page.text, re.S
    )
    assert found is not None
    preview = client.get(found.group(1).replace("&amp;", "&"))
    assert preview.status_code == 200
    shown = preview.text.split('id="preview"')[1]
    assert "Tel que Zoé le recevrait maintenant" in shown
    assert "Zoé" in shown.split('id="preview-text">')[1].split("</pre>")[0]
    frame = re.search(r'<iframe class="message-html" sandbox="" [^>]*src="([^"]+)"', shown)
    assert frame is not None
    content = client.get(frame.group(1).replace("&amp;", "&"))
    assert content.status_code == 200 and "Zoé" in content.text
    assert "sandbox" in content.headers["content-security-policy"]


def test_a_saved_template_is_the_one_the_preview_renders(platform, client, hugo):
    zoe = hugo["zoe"]
    fields = _template_form(client.get(CART_EMAIL).text)
    fields.update(
        {
            "csrf": csrf_of(client, CART_EMAIL),
            "customer": zoe,
            "subject": "{{ customer.first_name }}, un oubli ?",
            "body_text": "Bonjour {{ customer.first_name }}, votre panier vous attend chez nous.",
            "body_html": "",
        }
    )

    saved = client.post(CART_EMAIL, data=fields, follow_redirects=False)
    after = client.get(saved.headers["location"])

    assert saved.status_code == 303, saved.text
    assert "Le modèle est enregistré" in after.text
    assert "C\u2019est le modèle de l\u2019enseigne" in after.text
    preview = after.text.split('id="preview"')[1]
    assert "Zoé, un oubli ?" in preview
    assert "Bonjour Zoé, votre panier vous attend chez nous." in preview
    with platform.db.reading() as session:
        entries = audit.list_entries(session, what="message_template")
    assert [entry.actor for entry in entries] == ["operator:staff:hugo@example.fr"]


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        (
            {"body_text": "Bonjour {{ customer.first_name "},
            "Rien n\u2019a changé : le texte ne se lit pas comme un modèle (ligne 1).",
        ),
        (
            {"subject": "{% macro x() %}{% endmacro %}"},
            "Rien n\u2019a changé : l\u2019objet utilise ce qu\u2019un message ne peut pas",
        ),
        ({"body_text": "   "}, "Rien n\u2019a changé : le texte est vide ; écrivez-le."),
    ],
    ids=["an unclosed tag", "a macro", "no text"],
)
def test_a_template_that_cannot_be_used_is_refused_in_french_and_changes_nothing(
    platform, client, hugo, changes, sentence
):
    fields = _template_form(client.get(CART_EMAIL).text)
    fields.update({"csrf": csrf_of(client, CART_EMAIL), **changes})
    before = snapshot(platform)

    refused = client.post(CART_EMAIL, data=fields)

    assert refused.status_code == 422
    assert sentence in html.unescape(refused.text)
    assert snapshot(platform) == before


def test_going_back_to_the_shipped_template_asks_for_a_confirmation(platform, client, hugo):
    fields = _template_form(client.get(CART_EMAIL).text)
    fields.update({"csrf": csrf_of(client, CART_EMAIL), "body_text": "Revenez vite !"})
    client.post(CART_EMAIL, data=fields)
    before = snapshot(platform)

    refused = client.post(f"{CART_EMAIL}/reset", data={"csrf": csrf_of(client, CART_EMAIL)})
    unchanged = snapshot(platform)
    reset = client.post(
        f"{CART_EMAIL}/reset",
        data={"csrf": csrf_of(client, CART_EMAIL), "confirm": "yes"},
        follow_redirects=False,
    )

    assert refused.status_code == 422 and unchanged == before
    assert reset.status_code == 303
    assert "C\u2019est le modèle livré." in client.get(CART_EMAIL).text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/messages/templates/NOPE/fr/email",
        "/admin/messages/templates/ABANDONED_CART/de/email",
        "/admin/messages/templates/ABANDONED_CART/fr/post",
    ],
)
def test_a_template_that_does_not_exist_gets_a_french_sentence(platform, client, hugo, path):
    page = client.get(path)

    assert page.status_code == 404
    assert "Ce modèle n\u2019existe pas" in page.text


# --- segments ------------------------------------------------------------------------------------


def _segment_fields(**fields: str) -> dict[str, str]:
    return {
        "code": "LYON_FANS",
        "name": "Les fidèles de Lyon",
        "rule-0-field": "traits",
        "rule-0-trait": "first_name",
        "rule-0-op": "eq",
        "rule-0-value": "Zoé",
        "rule-1-field": "computed.orders",
        "rule-1-op": "lte",
        "rule-1-value": "3",
        "event-0-name": "Panier consulté",
        "event-0-days": "30",
        "event-0-min": "0",
        **fields,
    }


def test_a_new_segment_is_saved_audited_and_counts_its_people(platform, client, hugo):
    form = {**_segment_fields(), "csrf": csrf_of(client, "/admin/messages/segments/new")}

    saved = client.post("/admin/messages/segments/new", data=form, follow_redirects=False)
    page = client.get(saved.headers["location"])
    listing = client.get("/admin/messages/segments")

    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].startswith("/admin/messages/segments/LYON_FANS")
    assert "Le segment est enregistré" in page.text
    assert re.search(r'id="segment-count">1<', page.text)
    assert 'value="Zoé"' in page.text and 'value="Panier consulté"' in page.text
    assert "Les fidèles de Lyon" in listing.text
    with platform.db.reading() as session:
        [entry] = audit.list_entries(session, what="message_segment")
    assert entry.resource_id == "LYON_FANS"
    trigger_page = client.get("/admin/messages/triggers/WIN_BACK").text
    assert '<option value="LYON_FANS"' in trigger_page


def test_a_segment_nobody_fits_counts_zero(platform, client, hugo):
    form = {
        **_segment_fields(**{"rule-0-value": "Camille"}),
        "csrf": csrf_of(client, "/admin/messages/segments/new"),
    }

    saved = client.post("/admin/messages/segments/new", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = client.get(saved.headers["location"])

    assert re.search(r'id="segment-count">0<', page.text)


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"code": "fans de lyon"}, "Le code d\u2019un segment s\u2019écrit en majuscules"),
        ({"name": ""}, "Le nom d\u2019un segment fait de 1 à 200 caractères."),
        ({"rule-1-op": "between"}, "la règle 2 ne peut pas être lue"),
        ({"rule-1-value": "beaucoup"}, "(règle 2) : Cette comparaison se fait avec un nombre"),
        ({"event-0-days": "5000"}, "(règle 3) : La période va de 1 à 3650 jours."),
    ],
)
def test_a_wrong_segment_is_refused_in_french_and_changes_nothing(
    platform, client, hugo, changes, sentence
):
    form = {**_segment_fields(**changes), "csrf": csrf_of(client, "/admin/messages/segments/new")}
    before = snapshot(platform)

    refused = client.post("/admin/messages/segments/new", data=form)

    assert refused.status_code == 422
    assert sentence in html.unescape(refused.text).replace("'", "\u2019")
    assert snapshot(platform) == before


# --- the pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "recipient", "shown"),
    [
        ("email", "zoe.martin@exemple.fr", "z•••@exemple.fr"),
        ("sms", "+33612345678", "•••56 78"),
        ("push", "fcm-token-0123456789", "fcm-•••"),
        ("email", None, "—"),
    ],
)
def test_an_address_is_masked_for_the_screen(channel, recipient, shown):
    assert masked_recipient(channel, recipient) == shown


def test_the_busiest_day_is_the_tallest_and_every_fifth_day_is_named():
    today = date(2026, 3, 30)
    days = [
        DayCounts(day=today - timedelta(days=29 - n), sent=0, withheld=0, withdrawn=0)
        for n in range(30)
    ]
    days[-1] = DayCounts(day=today, sent=2, withheld=1, withdrawn=1)
    days[0] = DayCounts(day=days[0].day, sent=2, withheld=0, withdrawn=0)

    chart = day_chart(days, "fr")

    last = chart.columns[-1]
    assert [piece.series for piece in last.pieces] == ["sent", "withheld", "withdrawn"]
    assert sum(piece.height for piece in last.pieces) == chart.top
    assert [piece.height for piece in chart.columns[0].pieces] == [chart.top / 2]
    assert [column.tick for column in chart.columns if column.tick] == [
        "5 mars",
        "10 mars",
        "15 mars",
        "20 mars",
        "25 mars",
        "30 mars",
    ]
    assert chart.totals == {"sent": 4, "withheld": 1, "withdrawn": 1}
    assert last.x + last.width <= chart.width
