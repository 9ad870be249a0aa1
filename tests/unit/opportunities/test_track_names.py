"""The CLI's words for an opportunity's kind and track (from the domain: the CLI has no catalog and must
not import web) are the web's Chinese words for them, so the two edges never drift apart again."""

from __future__ import annotations

from suanli.cli.opportunities import KIND_ZH, TRACK_ZH
from suanli.domain.opportunities import ItemKind, Track
from suanli.web import i18n
from suanli.web.routes.opportunities import LABELS


def test_the_cli_names_every_kind_and_track_as_the_web_does_in_chinese() -> None:
    gettext = i18n.translator("zh_CN")
    assert TRACK_ZH == {t.value: gettext(LABELS[t.value]) for t in Track}
    assert KIND_ZH == {k.value: gettext(LABELS[k.value]) for k in ItemKind}
    assert TRACK_ZH["applications"] == "行业应用"
