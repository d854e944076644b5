"""The template's ``offices``: the aggregates' offices section in Vietnamese notation, by the report's parts."""

from __future__ import annotations

from pipeline.render.offices import offices_context


def test_offices_context_formats_by_part(config):
    """Figures in Vietnamese notation, dates dd/mm/yyyy, the issuer defaulting to the office, supports grouped by
    office and kind over communes, the issuer's own proposals apart, and the required offices lacking per part."""
    culture, agri, labour = (config.office(c).name for c in ("VHTT", "NN", "LDTB"))
    section = {
        "parts": {"outreach": {"offices": [culture], "lacking": []},
                  "livelihood": {"offices": [agri], "lacking": [config.office("GDNN").name]},
                  "assessment": {"offices": [labour], "lacking": []}},
        "documents": [{"office": labour, "number": "12/KH", "date": "2023-03-05", "issuer": None,
                       "subject": "Kế hoạch kiểm tra."}],
        "activities": [{"office": culture, "task": "IV.1", "activity": "Tuyên truyền", "sessions": 3,
                        "participants": 1250, "news_items": None, "broadcasts": 40, "households": None,
                        "ncc_households": None},
                       {"office": labour, "task": "IV.2", "activity": "Giám sát", "sessions": 2}],
        "supports": [{"office": agri, "commune_code": "22828", "support": "livestock", "households": 2, "persons": 9,
                      "ncc_households": 2, "amount_vnd": 10_000_000},
                     {"office": agri, "commune_code": "22831", "support": "livestock", "households": 1,
                      "persons": 4, "ncc_households": 1, "amount_vnd": 5_000_000}],
        "funds": [], "loans": [], "loan_totals": None,
        "narratives": [{"office": labour, "parts": ["assessment"], "results": "", "difficulties": "",
                        "proposals": "Đề nghị bổ sung vốn."},
                       {"office": agri, "parts": ["livelihood"], "results": "Vật nuôi phát triển tốt.",
                        "difficulties": "", "proposals": "Đề nghị hỗ trợ chuồng trại."}],
    }
    ctx = offices_context(section, config)
    assert ctx["documents"] == [{"number": "12/KH", "date": "05/03/2023", "issuer": labour,
                                 "subject": "Kế hoạch kiểm tra"}]
    assert [(a["office"], a["sessions"], a["participants"], a["news_items"], a["broadcasts"])
            for a in ctx["outreach"]] == [(culture, "3", "1.250", "", "40")]
    assert ctx["management"] == []  # Labour carries no "state_management" in this section
    assert [(s["label"], s["households"], s["persons"], s["communes"], s["amount"]) for s in ctx["livelihood"]] == [
        ("Hỗ trợ con giống, hướng dẫn chăn nuôi", "3", "13", "2", "15.000.000")]
    assert ctx["results"] == [{"office": agri, "own": False, "text": "Vật nuôi phát triển tốt"}]
    assert ctx["proposals"] == [{"office": agri, "text": "Đề nghị hỗ trợ chuồng trại"}]
    assert ctx["own_proposals"] == [{"office": labour, "text": "Đề nghị bổ sung vốn"}]
    assert ctx["lacking"]["livelihood"] == config.office("GDNN").name
    assert ctx["lacking"]["outreach"] == ""
    assert offices_context(None, config)["documents"] == []  # aggregates of an earlier release
    assert (ctx["expected"], ctx["reported"], ctx["missing"]) == ("0", "0", "")  # no "offices" list given


def test_the_banks_count_beside_the_rosters_when_they_differ(config):
    """The bank's NCC borrowers are the report's figure; the rosters' count is given beside it only when it differs;
    the required offices are counted with those that sent a valid workbook."""
    bank = config.office("NHCS").name
    totals = {"communes": 8, "borrowers": 178, "disbursed_vnd": 7_250_000_000, "outstanding_vnd": 21_500_000_000,
              "ncc_borrowers": 15, "roster_ncc_borrowers": 13}
    offices = [{"name": config.office(c).name, "required": config.office(c).required, "valid": c != "VHTT"}
               for c in ("VHTT", "NN", "GDNN", "LDTB", "MTTQ", "NHCS")]
    section = {"loans": [{"office": bank, "commune_code": "22828"}], "loan_totals": totals, "offices": offices}
    ctx = offices_context(section, config)
    assert (ctx["loans"]["ncc_borrowers"], ctx["loans"]["roster_ncc_borrowers"]) == ("15", "13")
    assert (ctx["expected"], ctx["reported"], ctx["missing"]) == ("4", "3", config.office("VHTT").name)
    agreed = offices_context({**section, "loan_totals": {**totals, "roster_ncc_borrowers": 15}}, config)
    assert agreed["loans"]["roster_ncc_borrowers"] == ""
