"""Tests of pipeline/read/sources.py: how a submitted file is opened before the reader takes its values.

Legacy encodings (TCVN3, VNI) are told from Unicode Vietnamese by fonts and by words that are not Vietnamese
syllables but read as one in the old tables, never by ordinary letters: every Vietnamese syllable, name and
sentence passes; text typed in TCVN3 or VNI, with or without its font, in a workbook or a CSV, is still refused.
The trimmed copy of a workbook the reader parses (``trimmed_xlsx``) stops at the last cell with content, whatever
the formatting far past the data, the namespace prefixes of the sheet XML or where the inflated stream is cut.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Border, Font, Side

from benchmarks.far_formatting import far_formatted
from pipeline import schema
from pipeline.read import sources
from pipeline.read.reader import read_submission
from pipeline.read.sources import (
    UnreadableSubmission,
    legacy_encoding,
    legacy_word,
    legacy_words,
    open_submission,
    trimmed_xlsx,
)
from pipeline.validate.rules import validate_submission
from tests.helpers import edited_sheet

ROOT = Path(__file__).resolve().parents[3]
MA_NOI = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"
ROSTER = schema.SHEET_ROSTER


# --- Legacy encodings -----------------------------------------------------------------------------------------

# Rhymes of Vietnamese, written without tone (hand list, not the detector's grammar).
RHYMES = """a ai ao au ay ac ach am an ang anh ap at
ă ăc ăm ăn ăng ăp ăt
â âc âm ân âng âp ât âu ây
e ec em en eng eo ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
o oc oi om on ong op ot oong ooc
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêng yêt yêu
oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet
uân uâng uât uây uê uêch uênh uơ uy uya uych uyên uyêt uynh uyt uyu""".split()
CONSONANTS = "b c ch d đ g gh h k kh l m n ng ngh nh p ph r s t th tr v x".split()
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]  # ngang, huyền, sắc, hỏi, ngã, nặng
STOP_TONES = ["\u0301", "\u0323"]  # a syllable ending in c, ch, p, t takes sắc or nặng only
VOWELS = set("aăâeêioôơuưy")
FRONT = ("e", "ê", "i", "iê")
MEDIAL = tuple(r for r in RHYMES if r[:2] in ("oa", "oă", "oe") or (r[0] == "u" and r[1:2] in ("â", "ê", "ơ", "y")))
HARD = ["quyết", "khuya", "giữa", "thuở", "hoà", "hòa", "thuỷ", "thủy", "nguyễn"]


def _place(rhyme: str, tone: str, new_style: bool) -> str:
    """Put the tone on the right vowel of a rhyme: on the vowel with a diacritic (the last one, ơ of ươ), else
    the last vowel before a final consonant, else the first of two open vowels (the second in the new style
    for oa, oe, uy: "hoà", "thuỷ"), the middle of three."""
    if not tone:
        return rhyme
    at = [i for i, ch in enumerate(rhyme) if ch in VOWELS]
    marked = [i for i in at if rhyme[i] in "ăâêôơư"]
    if marked:
        target = marked[-1]
    elif rhyme[-1] not in VOWELS:
        target = at[-1]
    elif len(at) == 1:
        target = at[0]
    elif len(at) == 2:
        target = at[1] if new_style and rhyme[at[0]:at[1] + 1] in ("oa", "oe", "uy") else at[0]
    else:
        target = at[1]
    return unicodedata.normalize("NFC", rhyme[:target + 1] + tone + rhyme[target + 1:])


def _spellings() -> list[tuple[str, str]]:
    """(initial, rhyme) pairs as Vietnamese writes them: c/k, g/gh, ng/ngh by the following vowel; qu and gi
    as initials (their u and i take no tone); yê without an initial, iê after one."""
    out = []
    for rhyme in RHYMES:
        front = rhyme.startswith(FRONT) and rhyme not in MEDIAL
        if not rhyme.startswith(("iê", "i")) or rhyme in ("i", "ia", "ich", "im", "in", "inh", "ip", "it", "iu"):
            if not (rhyme.startswith("i") and rhyme != "i"):
                out.append(("", rhyme))
        for c in CONSONANTS:
            if rhyme.startswith("yê"):
                continue
            if c in ("k", "gh", "ngh") and not front:
                continue
            if c in ("c", "g", "ng") and front and not (c == "g" and rhyme[0] == "i" and rhyme[:2] != "iê"):
                continue  # g + i is the gi sound: gì, gìn
            out.append((c, rhyme))
        if rhyme in MEDIAL:  # qua, quân, quyết, que, quơ
            out.append(("qu", rhyme[1:]))
        elif rhyme.startswith("uô"):  # quốc
            out.append(("qu", rhyme[1:]))
        elif rhyme[0] not in "iy":  # già, giữa, giường
            out.append(("gi", rhyme))
    return out


def syllables() -> list[str]:
    """Every tone of every spelling, in both tone placements, without repeats."""
    forms = set()
    for initial, rhyme in _spellings():
        tones = STOP_TONES if rhyme.endswith(("c", "ch", "p", "t")) else TONES
        for tone, new_style in itertools.product(tones, (False, True)):
            forms.add(initial + _place(rhyme, tone, new_style))
    return sorted(forms)


SYLLABLES = syllables()


def test_every_vietnamese_syllable_passes():
    """17,211 forms (initials × rhymes × tones, both tone placements) — with the hard cases quyết, khuya,
    giữa, thuở, hoà/hòa, thuỷ/thủy, nguyễn — none legacy, in lower case, capitalised, in capitals or NFD."""
    assert len(SYLLABLES) == 17211
    assert set(HARD) <= set(SYLLABLES)
    assert {"quý", "quốc", "gì", "khuỷu", "ngoẻo", "xoong", "yên", "nghiêng", "hoạch"} <= set(SYLLABLES)
    flagged = [form for word in SYLLABLES
               for form in (word, word.capitalize(), word.upper(), unicodedata.normalize("NFD", word))
               if legacy_word(form) is not None]
    assert flagged == []


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý", "Đinh", "Pinăng", "Katơr", "Chamaléa", "Mấu", "Bo Bo", "Ka Sô", "Mang", "Quách"]
MIDDLE = ["Văn", "Thị", "Đức", "Ngọc", "Thu", "Hữu", "Xuân", "Quang", "Thuỵ", "Thụy", "Minh", ""]
GIVEN = ["Hoà", "Hòa", "Thuỷ", "Thủy", "Khuê", "Quyết", "Tuyết", "Nguyệt", "Huệ", "Hường", "Khoa", "Quỳnh",
         "Uyên", "Toản", "Hoàng", "Duyên", "Thoại", "Ngoãn", "Quế", "Khuyến", "Giữa", "Thuở", "Sơn", "Mai",
         "Cường", "Yến", "Oanh", "Huy", "Khuya", "Loan"]
NARRATIVE = "Tuyên truyền cho đoàn viên, thanh niên; nguyên nhân: thiếu vốn, thôn Xuân Quang luôn khó khăn."


def _sentences(count: int) -> list[str]:
    rng = random.Random(7)
    out = []
    for _ in range(count):
        words = rng.sample(SYLLABLES, rng.randint(4, 14))
        text = " ".join(words)
        out.append(text[0].upper() + text[1:] + rng.choice([".", ";", ":", ",", "…", "!"]))
    return out


def _sheet(texts: list[str], font: str | None = None):
    wb = Workbook()
    ws = wb.active
    for row, text in enumerate(texts, start=1):
        ws.cell(row, 1, text)
        if font:
            ws.cell(row, 1).font = Font(name=font)
    return ws


def test_generated_names_and_sentences_pass():
    """2,700 names (with the minority names Pinăng, Katơr, Chamaléa) and 3,000 sentences of random
    syllables: no word is legacy, and a sheet holding them all is not."""
    names = [" ".join(p for p in parts if p) for parts in itertools.product(FAMILY, MIDDLE, GIVEN)]
    assert len(names) == 25 * 12 * 30
    sentences = _sentences(3000)
    texts = names + [n.upper() for n in names[:500]] + sentences
    assert [t for t in texts if legacy_words(t)] == []
    assert legacy_encoding(_sheet(texts)) is None


def test_the_narrative_in_three_cells_passes():
    """The narrative that was refused as "VNI" (vowel pairs iê, yê, uâ, uô, uê) passes in three cells."""
    assert legacy_words(NARRATIVE) == []
    assert legacy_encoding(_sheet([NARRATIVE] * 3)) is None


@pytest.mark.parametrize("text", ["© 2023 UBND xã Ma Nới", "Phần mềm Quản lý® bản 2", "Hộ nghèo · cận nghèo · NCC",
                                  "Công ty ABC® và Sở LĐTBXH©", "Xuân·Quang", "Ch· 3", "® đã đăng ký", "· Ghi chú:"])
def test_symbols_beside_or_between_words_pass(text):
    """©, ® and · as symbols — alone, at a word's edge, or between two words — are not TCVN3."""
    assert legacy_words(text) == []
    assert legacy_encoding(_sheet([text] * 5)) is None


def test_narrative_workbook_is_valid(config, tmp_path):
    """The sample workbook with the narrative in three cells of "Thuyết minh" stays valid."""
    from tests.fixtures.make_fixtures import BASE

    wb = load_workbook(BASE)
    ws = wb["Thuyết minh"]
    rows = [r for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, 2).value, str)][-3:]
    for row in rows:
        ws.cell(row, 2, NARRATIVE)
    assert len(rows) == 3
    path = tmp_path / "22828_ma_noi.xlsx"
    wb.save(path)
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert [f.message for f in outcome.findings if "bảng mã" in f.message] == []
    assert (outcome.status, outcome.errors) == ("valid", 0)


# TCVN3 (ABC) bytes, written per vowel (hand table): plain, then huyền, sắc, hỏi, ngã, nặng.
TCVN3_ROWS = {
    "a": "a\xb5\xb8\xb6\xb7\xb9", "ă": "\xa8\xbb\xbe\xbc\xbd\xc6", "â": "\xa9\xc7\xca\xc8\xc9\xcb",
    "e": "e\xcc\xd0\xce\xcf\xd1", "ê": "\xaa\xd2\xd5\xd3\xd4\xd6", "i": "i\xd7\xdd\xd8\xdc\xde",
    "o": "o\xdf\xe3\xe1\xe2\xe4", "ô": "\xab\xe5\xe8\xe6\xe7\xe9", "ơ": "\xac\xea\xed\xeb\xec\xee",
    "u": "u\xef\xf3\xf1\xf2\xf4", "ư": "\xad\xf5\xf8\xf6\xf7\xf9", "y": "y\xfa\xfd\xfb\xfc\xfe",
}
TONE_ORDER = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]


def to_tcvn3(text: str) -> bytes:
    """Unicode Vietnamese → TCVN3 bytes as the ".VnTime" fonts use them (lower-case letters; đ = 0xAE)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        d = unicodedata.normalize("NFD", ch.lower())
        tone = next((m for m in d if m in TONE_ORDER[1:]), "")
        base = unicodedata.normalize("NFC", d.replace(tone, "") if tone else d)
        if ch.lower() == "đ":
            out.append("\xae")
        elif base in TCVN3_ROWS and not ch.isascii():
            out.append(TCVN3_ROWS[base][TONE_ORDER.index(tone)])
        else:
            out.append(ch)
    return "".join(out).encode("latin-1")


TCVN3_SAMPLES = ["Nguyễn Văn Nam", "Việt Nam", "Phạm Thị Hoà", "Trường tiểu học xã Ma Nới", "Thôn Xuân Quang",
                 "Hộ nghèo thiếu vốn sản xuất"]
# VNI Windows, hand-written: the base letter, then the mark character.
VNI_SAMPLES = {"Nguyeãn Vaên Nam": "Nguyễn Văn Nam", "Vieät Nam": "Việt Nam", "Tröôøng Sôn": "Trường Sơn",
               "Hoaøng Thò Hueä": "Hoàng Thị Huệ", "Ñaø Naüng": "Đà Nẵng", "Thoân Xuaân Quang": "Thôn Xuân Quang"}


def test_tcvn3_text_without_font_is_caught():
    """TCVN3 text in cells without a ".Vn" font: its words are TCVN3, the sheet is refused as TCVN3."""
    texts = [to_tcvn3(t).decode("latin-1") for t in TCVN3_SAMPLES]
    assert texts[0] == "NguyÔn V¨n Nam" and texts[1] == "ViÖt Nam"
    assert [w for w, _ in legacy_words(texts[0])] == ["NguyÔn", "V¨n"]
    assert {e for t in texts for _, e in legacy_words(t)} == {"TCVN3"}
    assert legacy_encoding(_sheet(texts)) == ("TCVN3", "NguyÔn V¨n Nam", 1)
    assert legacy_encoding(_sheet(["Ph¹m V¨n Hïng"])) == ("TCVN3", "Ph¹m V¨n Hïng", 1)


def test_vni_text_without_font_is_caught():
    """VNI text in cells without a "VNI-" font: each sample has VNI words; the sheet is refused as VNI."""
    for vni in VNI_SAMPLES:
        assert {e for _, e in legacy_words(vni)} == {"VNI"}, vni
    assert [w for w, _ in legacy_words("Nguyeãn Vaên Nam")] == ["Nguyeãn", "Vaên"]
    assert legacy_encoding(_sheet(list(VNI_SAMPLES))) == ("VNI", "Nguyeãn Vaên Nam", 1)
    assert legacy_encoding(_sheet(["Nguyeãn Thò Hoaøng"])) == ("VNI", "Nguyeãn Thò Hoaøng", 1)


def test_one_stray_word_is_not_enough():
    """One legacy-looking word in a whole sheet is not a legacy sheet; the second one is."""
    assert legacy_encoding(_sheet([NARRATIVE, "Vieät", NARRATIVE])) is None
    assert legacy_encoding(_sheet([NARRATIVE, "Vieät", "Nam Ñaø"])) == ("VNI", "Vieät", 2)


@pytest.mark.parametrize("font,encoding", [(".VnTime", "TCVN3"), (".VnArialH", "TCVN3"), ("VNI-Times", "VNI")])
def test_fonts_still_decide(font, encoding):
    """A legacy font on non-ASCII text decides, even on one word; on ASCII text it does not."""
    assert legacy_encoding(_sheet(["Hoà"], font=font)) == (encoding, "Hoà", 1)
    assert legacy_encoding(_sheet(["Ma Noi 2023"], font=font)) is None


def to_cp1258(text: str) -> str:
    """Text as Windows-1258 writes it: letters with circumflex, breve or horn precomposed, tones as combining
    marks after them ("ệ" = "ê" + U+0323)."""
    clusters: list[list[str]] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and clusters:
            clusters[-1].append(ch)
        else:
            clusters.append([ch])
    out = []
    for base, *marks in clusters:
        tones = [m for m in marks if m in TONE_ORDER[1:]]
        out.append(unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones)) + "".join(tones))
    return "".join(out)


def _csv(tmp_path, name: str, lines: list[str], encoding: str):
    header = "Mã đơn vị,Kỳ báo cáo,Mã hộ,Họ và tên chủ hộ,Ghi chú"
    path = tmp_path / name
    if encoding == "tcvn3":
        path.write_bytes(b"\r\n".join(to_tcvn3(line) for line in [header, *lines]) + b"\r\n")
    elif encoding == "cp1258":  # Windows-1258 writes tones as combining marks after â, ê, ơ, ư, ă …
        path.write_bytes("\r\n".join(to_cp1258(line) for line in [header, *lines]).encode("cp1258") + b"\r\n")
    else:  # a VNI file's header is VNI too; an ASCII one keeps this sample short
        header = header if encoding != "cp1252" else "Ma don vi,Ky bao cao,Ma ho,Ho va ten chu ho,Ghi chu"
        path.write_bytes("\r\n".join([header, *lines]).encode(encoding) + b"\r\n")
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258"])
def test_unicode_csv_with_the_narrative_opens(tmp_path, encoding):
    """A UTF-8 or Windows-1258 CSV whose notes hold the narrative and symbols opens as a workbook."""
    lines = [f"22828,2023-6T,22828-000{i},Nguyễn Thị Hoà,\"{NARRATIVE} © ®\"" for i in range(1, 4)]
    opened = open_submission(_csv(tmp_path, "a.csv", lines, encoding), "a.csv")
    roster = opened.values["Danh sách hộ NCC"]
    assert roster.cell(2, 2).value == "Nguyễn Thị Hoà"
    assert roster.cell(4, 3).value == f"{NARRATIVE} © ®"


def test_tcvn3_csv_is_refused(tmp_path):
    """A CSV in TCVN3 bytes (read as Windows-1258, where some of its bytes are combining marks) is refused,
    naming the first line with a TCVN3 word."""
    lines = ["22828,2023-6T,22828-0001,Phạm Văn Hùng,Hộ nghèo", "22828,2023-6T,22828-0002,Lê Thị Hà,"]
    with pytest.raises(UnreadableSubmission) as err:
        open_submission(_csv(tmp_path, "b.csv", lines, "tcvn3"), "b.csv")
    assert "Tệp b.csv (dòng 1, ví dụ" in str(err.value) and "bảng mã TCVN3" in str(err.value)
    assert "TCVN3 (ABC)" in err.value.fix


def test_vni_csv_is_refused(tmp_path):
    """A CSV typed in VNI (bytes of cp1252 characters) is refused as VNI."""
    lines = ["22828,2023-6T,22828-0001,Nguyeãn Vaên Nam,Vieät Nam"]
    with pytest.raises(UnreadableSubmission) as err:
        open_submission(_csv(tmp_path, "c.csv", lines, "cp1252"), "c.csv")
    # quoted as read: the file is not UTF-8, so Windows-1258 shows VNI's "ã" (0xE3) as "ă"
    assert "Tệp c.csv (dòng 2, ví dụ '22828,2023-6T,22828-0001,Nguyeăn Vaên Na')" in str(err.value)
    assert "bảng mã VNI" in str(err.value)


# --- The trimmed copy the reader parses -------------------------------------------------------------------------

def _edited(tmp_path: Path, name: str, edit) -> Path:
    """Ma Nới's sample with ``edit(roster worksheet)`` applied, saved as ``name``."""
    return edited_sheet(MA_NOI, ROSTER, tmp_path / name, edit)


def test_formatting_down_to_row_50000_is_not_read(config, tmp_path):
    """Borders on every roster column down to row 50,000 (1.8 million formatted cells, 40 MB of sheet XML):
    the copy the reader parses stops at the last household, the file is valid and reads as the plain one."""
    far = far_formatted(MA_NOI, tmp_path / "far.xlsx")
    with zipfile.ZipFile(far) as z:
        assert z.getinfo("xl/worksheets/sheet3.xml").file_size > 35_000_000
    copy, extents = trimmed_xlsx(far, far.name)
    roster = next(e for e in extents if e.name == ROSTER)
    assert (roster.declared, roster.rows, roster.columns) == ((50_000, 37), 10, 37)
    assert len(copy) < 200_000
    plain, far_sub = read_submission(MA_NOI, config), read_submission(far, config)
    assert far_sub.roster.equals(plain.roster)
    outcome = validate_submission(far, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def _prefixed(xml: bytes) -> bytes:
    """The same sheet XML with the main namespace bound to the prefix x: (as some generators write it)."""
    xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
    return re.sub(rb"<(/?)([A-Za-z]+)([\s>/])", rb"<\1x:\2\3", xml)


def _numbers_as_inline_text(xml: bytes, row: int) -> bytes:
    """Row ``row`` with its numbers written as inline strings too: a row with no <v> element at all."""
    return re.sub(rb'<c r="([A-Z]+%d)"((?: s="\d+")?) t="n"><v>(\d+)</v></c>' % row,
                  rb'<c r="\1"\2 t="inlineStr"><is><t>\3</t></is></c>', xml)


@pytest.mark.parametrize("chunk", [1, 7, 13, 4096, 1 << 16])
def test_trimming_is_the_same_whatever_the_chunk_boundaries(config, tmp_path, monkeypatch, chunk):
    """The trimmed copy does not depend on where the inflated stream is cut into chunks (tags split across
    chunks), for a far-formatted roster whose last household row holds only inline strings (no <v>), in a
    sheet whose tags carry a namespace prefix and whose extension after the rows holds a </x:c> of its own."""
    base = far_formatted(MA_NOI, tmp_path / "far.xlsx", rows=400)
    variant = tmp_path / "variant.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(variant, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":
                data = _numbers_as_inline_text(data, 10)
                assert b"<v>" not in data.split(b'<row r="10"')[1].split(b"</row>")[0]
                data = _prefixed(data).replace(  # an extension after the rows holding a </x:c> of its own
                    b"</x:worksheet>", b'<x:extLst><x:ext uri="{0A1B2C3D-test}"><x:c>1</x:c></x:ext></x:extLst>'
                                       b"</x:worksheet>")
            zout.writestr(info, data)
    monkeypatch.setattr(sources, "CHUNK", chunk)
    copy, extents = sources.trimmed_xlsx(variant, variant.name)
    roster = next(e for e in extents if e.name == ROSTER)
    assert (roster.rows, roster.columns) == (10, 37)
    sub = read_submission(variant, config)
    assert sub.roster["household_code"].tolist() == [f"22828-000{i}" for i in range(1, 7)]
    assert sub.roster["head_name"].iloc[-1] == "Pinăng Ngọc Hoa"


def test_borders_written_by_openpyxl_are_not_read(config, tmp_path):
    """Borders drawn with openpyxl on every roster column down to row 2,000: it writes the empty cells as
    <c r="S1500" s="12" t="n"></c> (closed, not self-closed, with column letters such as S and V), which must
    not count as content. The copy parsed stops at the last household; the file is valid."""
    def edit(ws):
        thin = Side(style="thin")
        for row in ws.iter_rows(min_row=11, max_row=2_000, min_col=1, max_col=37):
            for cell in row:
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)

    path = _edited(tmp_path, "borders.xlsx", edit)
    with zipfile.ZipFile(path) as z:
        assert b'<c r="S1500" s="' in z.read("xl/worksheets/sheet3.xml")
    copy, extents = trimmed_xlsx(path, path.name)
    roster = next(e for e in extents if e.name == ROSTER)
    assert (roster.declared, roster.rows, roster.columns, roster.cells) == ((2_000, 37), 10, 37, 261)
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_document_numbers_citing_decrees_are_not_legacy_text():
    """"NĐ" of "07/2021/NĐ-CP" reads "Né" in TCVN3: an upper-case abbreviation of at most three letters is never
    counted, so a narrative citing decrees and decisions is not refused; TCVN3 words around it still are."""
    text = "Thực hiện Nghị định số 07/2021/NĐ-CP, Quyết định 24/QĐ-UBND và NĐ-CP; TĐ, ĐT, BĐ."
    assert legacy_words(text) == []
    assert [w for w, _ in legacy_words("NĐ-CP: Hé NguyÔn V¨n")] == ["NguyÔn", "V¨n"]
