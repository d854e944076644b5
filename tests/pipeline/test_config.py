"""Configuration: units, period codes, deadlines and dated poverty standards."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]

HCM = dt.timezone(dt.timedelta(hours=7))


def test_units_of_2023(config):
    """Thị trấn Tân Sơn and the 7 communes, with 5-digit GSO codes; Tân Sơn is urban."""
    units = config.units_on(dt.date(2023, 4, 30))
    assert [u.code for u in units] == ["22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831"]
    assert config.unit("22810").area == "urban"
    assert config.unit("22828").full_name == "xã Ma Nới"
    assert config.units_on(dt.date(2025, 7, 1)) == []


def test_the_district_offices_of_2023(config):
    """Six offices report on the plan until the district level ends: four required (the plan orders them), the
    Front and the Social Policy Bank branch only requested; an office is a unit of kind "office", named alone."""
    on = dt.date(2023, 4, 30)
    offices = config.offices_on(on)
    assert [(o.code, o.required) for o in offices] == [("VHTT", True), ("NN", True), ("GDNN", True), ("LDTB", True),
                                                         ("MTTQ", False), ("NHCS", False)]
    assert all(o.is_office and o.full_name == o.name for o in offices)
    assert config.office("NN", on).full_name == "Phòng Nông nghiệp và Phát triển nông thôn"
    assert config.offices_on(dt.date(2025, 7, 31)) == [] and config.office("XX") is None
    assert not any(u.is_office for u in config.units) and config.unit("22828").full_name == "xã Ma Nới"
    assert [t["code"] for t in config.plan["tasks"]] == ["IV.1", "IV.2", "IV.3", "IV.4", "IV.5"]


def test_period_deadline_and_cutoff(config):
    """2023-6T is due before 00:00 of 05/5/2023 (+07:00); data cut-off 30/4."""
    p = config.period("2023-6T")
    assert p.deadline == dt.datetime(2023, 5, 5, tzinfo=config.timezone)
    assert p.deadline.utcoffset() == dt.timedelta(hours=7)
    assert p.cutoff == dt.date(2023, 4, 30)
    assert config.period("2023-CN").deadline.date() == dt.date(2023, 11, 5)
    assert config.period("2024-9T").folder == "9T"


@pytest.mark.parametrize("code", ["2023-6t", "2023-12T", "23-6T", "", "2023/6T"])
def test_bad_period_codes(config, code):
    """A malformed period code is refused with the expected form in the message."""
    with pytest.raises(ConfigError, match="2023-6T"):
        config.period(code)


def test_latest_period_due(config):
    """With no Param, a run takes the latest period whose deadline has passed at run_after."""
    assert config.latest_period_due(dt.datetime(2024, 5, 5, 0, 0, tzinfo=HCM)).code == "2024-6T"
    assert config.latest_period_due(dt.datetime(2024, 5, 4, 23, 59, tzinfo=HCM)).code == "2023-CN"
    # 17:00 UTC on 4 May is already 00:00 of 5 May in Vietnam
    assert config.latest_period_due(dt.datetime(2024, 5, 4, 17, 0, tzinfo=dt.UTC)).code == "2024-6T"
    assert config.latest_period_due(dt.datetime(2024, 12, 31, tzinfo=HCM)).code == "2024-CN"


def test_standards_are_dated(config):
    """2023 uses Decree 07/2021 (rural 1.500.000, urban 2.000.000 đ), and so does 2026 (Decree 351/2025 keeps it
    in force through 31/12/2026); 2021 and 2027 have no standard the workbook can be checked against, and asking
    for one says so in Vietnamese."""
    s = config.standard_on(dt.date(2023, 4, 30))
    assert s.id == "07/2021/NĐ-CP"
    assert s.rule == "decree-07-2021"
    assert s.poor_income_max_vnd == {"rural": 1_500_000, "urban": 2_000_000}
    assert s.average_income_max_vnd == {"rural": 2_250_000, "urban": 3_000_000}
    assert s.min_deprivations_poor == 3
    with pytest.raises(ConfigError, match=r"Không có chuẩn nghèo nào được cấu hình cho ngày 30/06/2021.*"
                                          r"07/2021/NĐ-CP \(01/01/2022–31/12/2026\).*59/2015/QĐ-TTg"):
        config.standard_on(dt.date(2021, 6, 30))
    late = config.standard_on(dt.date(2026, 10, 31))
    assert (late.id, late.poor_income_max_vnd) == ("07/2021/NĐ-CP", {"rural": 1_500_000, "urban": 2_000_000})
    assert "351/2025/NĐ-CP" in late.source
    with pytest.raises(ConfigError, match="30/06/2027"):
        config.standard_on(dt.date(2027, 6, 30))


def test_schedule_cron(config):
    """The deadlines of the config make one cron line at 00:00 on the 5th of May, August, November."""
    assert config.schedule_cron() == "0 0 5 5,8,11 *"


# --- The files are checked at load -----------------------------------------------------------------------

def _write(tmp_path, name, data):
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _raw(name):
    import yaml

    from pipeline.config import CONFIG_DIR

    return yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))


def _load(tmp_path, locality=None, reference=None, thresholds=None):
    from pipeline.config import CONFIG_DIR, config_from_files

    return config_from_files(
        _write(tmp_path, "locality.yaml", locality) if locality is not None else CONFIG_DIR / "ninh_son.yaml",
        _write(tmp_path, "reference.yaml", reference) if reference is not None else CONFIG_DIR / "reference.yaml",
        _write(tmp_path, "thresholds.yaml", thresholds) if thresholds is not None else CONFIG_DIR / "thresholds.yaml",
    )


@pytest.mark.parametrize(("file", "edit", "message"), [
    ("locality", lambda d: d["units"][3].update(aera="rural"), r"units\[3\]\.aera: Extra inputs are not permitted"),
    ("locality", lambda d: d["units"][0].update(code=22810), r"units\[0\]\.code: Input should be a valid string"),
    ("locality", lambda d: d["units"][2].update(code="2281"), r"units\[2\]\.code: String should match pattern"),
    ("locality", lambda d: d["units"][1].update(area="suburban"), r"units\[1\]\.area: Input should be 'urban' or"),
    ("locality", lambda d: d["units"][1].update(required="không"),
     r"units\[1\]\.required: Input should be a valid boolean"),
    ("locality", lambda d: d["units"].append(dict(d["units"][0])),
     r"unit codes listed twice for the same dates: 22810"),
    ("locality", lambda d: d["periods"]["9T"].update(deadline="02-30"), r"periods\.9T\.deadline: day is out of range"),
    ("locality", lambda d: d["periods"].pop("CN"), r"periods lacks CN"),
    ("locality", lambda d: d["validation"]["outliers"].update(max_change_pct="20%"),
     r"validation\.outliers\.max_change_pct: Input should be a valid number"),
    ("locality", lambda d: d["validation"].update(outlier={}), r"validation\.outlier: Extra inputs are not permitted"),
    ("locality", lambda d: d["targets"].update(ncc_poor_access_dimensions=["health", "helth"]),
     r"targets\.ncc_poor_access_dimensions: unknown dimensions helth"),
    ("locality", lambda d: d["document"].pop("issuer"), r"document\.issuer: Field required"),
    ("locality", lambda d: d.update(timezone="Asia/Ha_Noi"), r"timezone: unknown time zone 'Asia/Ha_Noi'"),
    ("locality", lambda d: d["intake"].update(allowed_inbox_links=["mnt/chia-se"]),
     r"intake\.allowed_inbox_links: 'mnt/chia-se' không phải đường dẫn tuyệt đối \(phải bắt đầu bằng '/'"),
    ("locality", lambda d: d["intake"].update(allowed_inbox_links="/mnt/chia-se"),
     r"intake\.allowed_inbox_links: Input should be a valid list"),
    ("locality", lambda d: d["intake"].update(allowed_inbox_links=["/mnt/a", "/mnt/b", "/mnt/a"]),
     r"intake\.allowed_inbox_links: đường dẫn được ghi hai lần: /mnt/a"),
    ("locality", lambda d: d["intake"].update(allowed_inbox_link=["/mnt/a"]),
     r"intake\.allowed_inbox_link: Extra inputs are not permitted"),
    ("locality", lambda d: d["validation"]["bounds"]["amounts"].update(head_name={"soft_lines": 1, "hard_lines": 2}),
     r"validation\.bounds\.amounts: không có số tiền head_name \(chỉ: income_vnd_per_person_month"),
    ("locality", lambda d: d["validation"]["bounds"]["amounts"].update(
        support_loan_vnd={"soft_lines": 400, "hard_lines": 100}),
     r"validation\.bounds\.amounts\.support_loan_vnd: soft_lines lớn hơn hard_lines"),
    ("locality", lambda d: d.pop("wording"), r"wording: Field required"),
    ("locality", lambda d: d["wording"].pop("whole_area"), r"wording\.whole_area: Field required"),
    ("locality", lambda d: d["units"][0].update(households_reference=0),
     r"units\[0\]\.households_reference: Input should be greater than 0"),
    ("locality", lambda d: d["intake"].update(incomplete_wait_minutes=90),
     r"intake\.incomplete_wait_minutes: Input should be less than or equal to 60"),
    ("locality", lambda d: d["offices"][0].update(code="22899"), r"offices\[0\]\.code: String should match pattern"),
    ("locality", lambda d: d["offices"].append(dict(d["offices"][1])), r"offices: an office code is listed twice"),
    ("locality", lambda d: d["offices"][0].update(area="urban"), r"offices\[0\]\.area: Extra inputs"),
    ("reference", lambda d: d["office_supports"].append(dict(d["office_supports"][0])),
     r"office_supports: a code is listed twice"),
    ("reference", lambda d: d["statuses"][0].update(lable="Nghèo"), r"statuses\[0\]\.lable: Extra inputs"),
    ("reference", lambda d: d["change_kinds"][1].update({"from": ["poorr"]}),
     r"change kind escaped_poverty: unknown statuses poorr"),
    ("thresholds", lambda d: d["standards"][0].update(min_deprivations_poor="3"),
     r"standards\[0\]\.min_deprivations_poor: Input should be a valid integer"),
    ("thresholds", lambda d: d["standards"][0].pop("rule"), r"standards\[0\]\.rule: Field required"),
    ("thresholds", lambda d: d["standards"][0]["poor_income_max_vnd"].update(rual=1),
     r"standards\[0\]\.poor_income_max_vnd\.rual: Extra inputs"),
])
def test_unknown_keys_and_wrong_types_are_refused(tmp_path, file, edit, message):
    """A typo or a wrong type in any of the three files is refused at load, naming the file and key path."""
    names = {"locality": "ninh_son.yaml", "reference": "reference.yaml", "thresholds": "thresholds.yaml"}
    data = _raw(names[file])
    edit(data)
    with pytest.raises(ConfigError, match=message) as exc:
        _load(tmp_path, **{file: data})
    assert str(tmp_path / f"{file}.yaml") in str(exc.value)


def test_decision_59_2015_is_refused_with_the_reason(tmp_path):
    """A standard with Decision 59/2015's rule cannot load: the workbook carries Decree 07's 12 indicators."""
    data = _raw("thresholds.yaml")
    data["standards"].insert(0, {
        "id": "59/2015/QĐ-TTg", "rule": "decision-59-2015", "valid_from": dt.date(2016, 1, 1),
        "valid_to": dt.date(2021, 12, 31), "source": "Quyết định 59/2015/QĐ-TTg",
        "poor_income_max_vnd": {"rural": 700_000, "urban": 900_000},
        "near_poor_income_max_vnd": {"rural": 1_000_000, "urban": 1_300_000}, "min_deprivations_poor": 3})
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, thresholds=data)
    text = str(exc.value)
    assert "standards[0].rule: quy tắc 'decision-59-2015' không được hỗ trợ" in text
    assert "10 chỉ số thiếu hụt" in text and "12 chỉ số của Nghị định 07/2021/NĐ-CP" in text
    assert "700.000 đ (nông thôn) / 900.000 đ (thành thị)" in text
    data["standards"][0]["rule"] = "decree-07-2021-bis"
    with pytest.raises(ConfigError, match=r"quy tắc 'decree-07-2021-bis' chưa được cài đặt; các quy tắc có: "
                                          r"decree-07-2021"):
        _load(tmp_path, thresholds=data)


def test_rule_must_match_the_reference_indicators(tmp_path):
    """Decree 07's rule counts 12 indicators in 6 dimensions: a reference list with 11 is refused."""
    ref = _raw("reference.yaml")
    ref["indicators"].pop()
    ref["dimensions"][-1]["indicators"] = ["d11"]
    with pytest.raises(ConfigError, match=r"standards\[0\]\.rule: decree-07-2021 counts 12 indicators in 6 "
                                          r"dimensions; reference\.yaml lists 11 in 6"):
        _load(tmp_path, reference=ref)


def test_overlapping_standards_are_refused(tmp_path):
    """Two standards covering the same day would make the choice arbitrary."""
    data = _raw("thresholds.yaml")
    data["standards"].append({**data["standards"][0], "id": "07/2021 bis", "valid_from": dt.date(2025, 1, 1),
                              "valid_to": dt.date(2026, 12, 31)})
    with pytest.raises(ConfigError, match="standards 07/2021/NĐ-CP and 07/2021 bis overlap"):
        _load(tmp_path, thresholds=data)


def test_loaded_values_keep_their_shapes(tmp_path, config):
    """Units carry `required` (default True); dict sections keep only the keys of the file, as typed."""
    data = _raw("ninh_son.yaml")
    data["units"][7]["required"] = False
    loaded = _load(tmp_path, locality=data)
    assert [u.required for u in loaded.units] == [True] * 7 + [False]
    assert config.unit("22828").aliases == ("Ma Nối", "Ma Noi")
    assert config.validation["outliers"] == {"max_change_pct": 20.0, "min_change_abs": 5}
    assert config.validation["max_sheet_rows"] == 100_000
    assert load_config().validation["intake_stable_seconds"] == 2.0  # the fixture sets it to 0 for the tests
    assert load_config().intake == {"final_pass_tolerance_minutes": 2.0, "incomplete_wait_minutes": 10.0,
                                    "allowed_inbox_links": []}
    assert load_config().incomplete_wait() == dt.timedelta(minutes=10)  # the fixture sets it to 0 for the tests
    data["intake"]["allowed_inbox_links"] = ["/mnt/chia-se/inbox", "/srv/tiep-nhan/"]
    assert _load(tmp_path, locality=data).intake["allowed_inbox_links"] == ["/mnt/chia-se/inbox", "/srv/tiep-nhan/"]
    assert config.targets["ncc_poor_access_dimensions"] == ["health", "education", "housing", "water_sanitation",
                                                            "information"]
    assert config.reference["change_kinds"][1] == {"code": "escaped_poverty", "label": "Thoát nghèo",
                                                   "from": ["poor"], "to": ["near_poor", "average", "none"]}
    assert config.document["recipients"] == ["UBND huyện (b/c)", "Lãnh đạo Phòng"]
    assert "signer_name" in config.document and "number_prefix" not in config.document
    assert config.period("2021-CN").cutoff == dt.date(2021, 10, 31)


def test_one_code_may_name_two_units_at_different_times(config):
    """22810 as thị trấn Tân Sơn to 30/06/2025 and as xã Ninh Sơn from 01/07/2025 is allowed (two units); the
    unit on a day is the one valid then; without a day, the latest."""
    import dataclasses

    from pipeline.config import Unit

    ninh_son = Unit(code="22810", name="Ninh Sơn", kind="xã", area="rural", valid_from=dt.date(2025, 7, 1))
    both = dataclasses.replace(config, units=config.units + (ninh_son,))
    assert both.unit("22810", dt.date(2023, 4, 30)).full_name == "thị trấn Tân Sơn"
    assert both.unit("22810", dt.date(2026, 4, 30)).full_name == "xã Ninh Sơn"
    assert both.unit("22810").full_name == "xã Ninh Sơn"
    assert config.unit("22810", dt.date(2026, 4, 30)).full_name == "thị trấn Tân Sơn"  # none then: the latest


LEVEL_WORDS = re.compile(r"\bhuyện\b|\btỉnh\b|thị trấn|Phòng Lao động|Phòng LĐ|Sở Nông nghiệp|"
                         r"Ủy ban nhân dân (?:huyện|tỉnh)", re.IGNORECASE)
"""Words that name a level of government, a kind of unit or an office: they belong to a setup's ``wording:``."""


def _level_words(path: Path) -> list[str]:
    """Where ``path`` (a shared template: text, or the text of a .docx/.xlsx's XML parts) names a level, a kind or
    an office itself: "<file>: …context…" for each."""
    import zipfile

    if path.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(path) as z:
            texts = [re.sub(r"<[^>]+>", "", z.read(n).decode("utf-8", "replace"))
                     for n in z.namelist() if n.endswith(".xml")]
    else:
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    return [f"{path.name}: …{t[max(0, m.start() - 40):m.end() + 20]}…" for t in texts for m in LEVEL_WORDS.finditer(t)]


def test_no_level_or_office_word_in_a_shared_template():
    """The report template, the status pages, the mails, the words drawn in charts and annexes and the units'
    workbook name no level, kind or office themselves ("huyện", "toàn huyện", "thị trấn", "Phòng Lao động …",
    "Ủy ban nhân dân huyện"): those come from the setup's wording, so the same templates serve a district in 2023
    and a province today. The check itself catches such a word (a file written here)."""
    templates = ROOT / "templates"
    shared = [*templates.glob("*.j2"), *templates.glob("*.yaml"), *templates.glob("*.docx"), *templates.glob("*.xlsx"),
              *(p for p in (templates / "mail").iterdir() if p.suffix in (".html", ".txt"))]
    assert len(shared) >= 10
    assert [hit for path in shared for hit in _level_words(path)] == []


def test_the_level_word_check_catches_a_word(tmp_path):
    page = tmp_path / "trang.html.j2"
    page.write_text("<p>Toàn huyện có {{ n }} hộ; báo cáo gửi Phòng LĐ-TB&XH.</p>\n# huyện: a comment\n",
                    encoding="utf-8")
    assert [hit.split(": ", 1)[0] for hit in _level_words(page)] == ["trang.html.j2"] * 2


def test_the_setups_words_fill_the_report_pages_and_mails(config):
    """The 2023 district setup's words: the total row reads "Toàn huyện", the units "các xã, thị trấn"."""
    words = config.words()
    assert (words["whole_area_start"], words["unit_kinds"], words["superior"]) == (
        "Toàn huyện", "các xã, thị trấn", "Ủy ban nhân dân huyện")


CODE_LEVEL_WORDS = re.compile(r"(?i:\bhuyện\b|\btỉnh\b)|\bPhòng\b|\bSở\b")
"""Words naming a level of government or an office ("Phòng", "Sở" as the compiling office is called). The kinds of
unit (xã, phường, thị trấn, đặc khu) are not listed: the readers of typed names and of the official list must know
them."""


def test_no_level_or_office_word_in_a_string_of_the_code():
    """No string the code writes (docstrings and comments aside) names a level or an office: messages take the
    setup's words (Config.fill, Config.words)."""
    import ast

    hits = []
    sources = [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "dags").glob("*.py"), *(ROOT / "ops").glob("*.py")]
    for path in sorted(sources):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and CODE_LEVEL_WORDS.search(node.value)):
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:80]}")
    assert hits == []


def _two_stage_setup(config):
    """The 2023 district setup with a second stage of the hierarchy from 01/07/2025: the province's department
    reports to the province People's Committee (words and document of config/khanh_hoa_2026.yaml)."""
    import dataclasses

    province = load_config(ROOT / "config" / "khanh_hoa_2026.yaml")
    stage = {"valid_from": dt.date(2025, 7, 1), "valid_to": dt.date(9999, 12, 31), "document": province.document,
             "wording": province.wording}
    return dataclasses.replace(config, stages=(stage,))


def test_the_hierarchy_is_dated(config):
    """Until 30/06/2025 the district's words and document; from 01/07/2025 the stage's: a period is in the stage
    its cut-off falls in (2025-6T: district, 2025-9T: province); without a day, the top-level ones."""
    setup = _two_stage_setup(config)
    six, nine = setup.period("2025-6T"), setup.period("2025-9T")
    assert setup.words(six.cutoff)["whole_area"] == "toàn huyện"
    assert setup.words(nine.cutoff)["whole_area"] == "toàn tỉnh"
    assert setup.document_on(six.cutoff)["issuer"] == "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"
    assert setup.document_on(nine.cutoff)["issuer"] == "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"
    assert setup.fill("{staff} đã được báo", nine.cutoff) == "cán bộ Sở đã được báo"
    assert setup.fill("{staff} đã được báo") == "cán bộ huyện đã được báo"


def test_stages_of_the_hierarchy_never_overlap(tmp_path):
    """Two stages covering the same days are refused at load."""
    data = _raw("ninh_son.yaml")
    stage = {"valid_from": "2025-07-01", "document": data["document"], "wording": data["wording"]}
    data["hierarchy"] = [stage, {**stage, "valid_from": "2026-01-01"}]
    with pytest.raises(ConfigError, match="hierarchy: two stages cover the same days"):
        _load(tmp_path, locality=data)
    data["hierarchy"] = [{**stage, "valid_to": "2025-12-31"}, {**stage, "valid_from": "2026-01-01"}]
    assert len(_load(tmp_path, locality=data).stages) == 2
