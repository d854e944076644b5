"""Table 1a's rows formatted from the aggregates' bridge (pipeline/render/bridge.py)."""

from __future__ import annotations

from pipeline.render.bridge import bridge_context


def test_each_successor_with_its_state_and_the_names_under_the_table(config):
    """Figures in Vietnamese format, "-" where there is no sum or no report; each row's state; the units that differ
    or have no sum joined for the sentences under the table; the predecessors' period by name."""
    def row(name, own, total, *, complete=True, outside=False, differs=False):
        return {"unit_code": "x", "unit_name": name, "period": "2023-6T", "predecessors": ["xã A", "xã B"],
                "complete": complete, "outside": outside, "differs": differs,
                "own": None if own is None else {"households_total": own, "poor_households": 10,
                                                 "near_poor_households": 20},
                "sum": None if total is None else {"households_total": total, "poor_households": 10,
                                                   "near_poor_households": 21}}

    out = bridge_context([row("xã Anh Dũng", 2600, 2600), row("xã Ninh Sơn", 12345, 12000, differs=True),
                          row("xã Mỹ Sơn", 3000, None, complete=False, outside=True),
                          row("phường Đô Vinh", 2000, None, complete=False), row("xã Lâm Sơn", None, 7000)],
                         config)
    assert [(r["no"], r["name"], r["predecessors"], r["state"]) for r in out["rows"]] == [
        ("1", "Xã Anh Dũng", "Xã A, xã B", "agrees"), ("2", "Xã Ninh Sơn", "Xã A, xã B", "differs"),
        ("3", "Xã Mỹ Sơn", "Xã A, xã B", "outside"), ("4", "Phường Đô Vinh", "Xã A, xã B", "unsent"),
        ("5", "Xã Lâm Sơn", "Xã A, xã B", "no_report")]
    assert [(r["own_households"], r["sum_households"], r["sum_near_poor"]) for r in out["rows"]] == [
        ("2.600", "2.600", "21"), ("12.345", "12.000", "21"), ("3.000", "-", "-"), ("2.000", "-", "-"),
        ("-", "7.000", "21")]
    assert (out["period"], out["differs"], out["outside"], out["unsent"]) == (
        "6 tháng đầu năm 2023", "xã Ninh Sơn", "xã Mỹ Sơn", "phường Đô Vinh")
    assert bridge_context([], config) == {"rows": [], "period": "", "differs": "", "outside": "", "unsent": ""}
