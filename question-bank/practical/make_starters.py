#!/usr/bin/env python3
"""Re-make the starter files of the practical tasks (question-bank/practical/*/files/).

A tool for maintainers, not part of the build. Needs python-docx, openpyxl and
Pillow, e.g.:

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install python-docx openpyxl pillow
    /tmp/venv/bin/python question-bank/practical/make_starters.py

Output is byte-for-byte reproducible: every .docx/.xlsx is re-zipped with fixed
entry timestamps and fixed document-property dates, and the PNGs carry no
time stamp, so running the script again over the committed files leaves
`git status` clean.
"""

import io
import re
import zipfile
from pathlib import Path

from docx import Document
from docx.shared import Mm, Pt
from openpyxl import Workbook
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FIXED_ZIP_TIME = (2026, 11, 1, 0, 0, 0)
FIXED_W3CDTF = "2026-11-01T00:00:00Z"
AUTHOR = "ictskills"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def save_normalized(blob: bytes, path: Path) -> None:
    """Re-zip an OOXML package with fixed timestamps so output is reproducible."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == "docProps/thumbnail.jpeg":
                continue  # python-docx's template thumbnail: not a picture of this file
            data = src.read(info.filename)
            if info.filename == "_rels/.rels":
                data = re.sub(rb'<Relationship [^>]*Target="docProps/thumbnail.jpeg"/>', b"", data)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: m.group(1) + FIXED_W3CDTF + m.group(3),
                    text,
                )
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data, compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    print(f"wrote {path.relative_to(HERE)} ({len(out.getvalue())} bytes)")


def new_document(title: str) -> Document:
    """A4 portrait, 2.54 cm margins, plain Calibri 11: the raw text to format."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(sec, side, Mm(25.4))
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    cp = doc.core_properties
    cp.title = title
    cp.author = AUTHOR
    cp.last_modified_by = AUTHOR
    cp.comments = ""
    cp.revision = 1
    return doc


def add_lines(doc: Document, lines) -> None:
    """One Normal paragraph per line; tabs become real tab characters."""
    for line in lines:
        doc.add_paragraph(line)


def save_docx(doc: Document, path: Path) -> None:
    buf = io.BytesIO()
    doc.save(buf)
    save_normalized(buf.getvalue(), path)


def save_xlsx(wb: Workbook, path: Path) -> None:
    wb.properties.creator = AUTHOR
    wb.properties.lastModifiedBy = AUTHOR
    buf = io.BytesIO()
    wb.save(buf)
    save_normalized(buf.getvalue(), path)


def font(size: int) -> ImageFont.FreeTypeFont:
    for name in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "DejaVuSans-Bold.ttf",
    ):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    raise SystemExit("DejaVu Sans Bold is needed to draw the PNG starters")


def save_png(img: Image.Image, path: Path) -> None:
    img = img.quantize(colors=32, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    print(f"wrote {path.relative_to(HERE)} ({len(buf.getvalue())} bytes)")


# --------------------------------------------------------------------------
# IU03 — giấy mời họp
# --------------------------------------------------------------------------

def iu03_giay_moi_hop() -> None:
    doc = new_document("Giấy mời họp")
    add_lines(doc, [
        "ỦY BAN NHÂN DÂN",
        "XÃ HÒA BÌNH",
        "Số: 86/GM-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hòa Bình, ngày 16 tháng 11 năm 2026",
        "GIẤY MỜI",
        "Họp triển khai Kế hoạch ra quân tổng vệ sinh môi trường, chỉnh trang khu dân cư "
        "chào đón Tết Nguyên đán Đinh Mùi năm 2027",
        "Thực hiện Kế hoạch số 152/KH-UBND ngày 10/11/2026 của Ủy ban nhân dân xã Hòa Bình "
        "về việc tổ chức ra quân tổng vệ sinh môi trường, chỉnh trang khu dân cư, Ủy ban "
        "nhân dân xã trân trọng kính mời:",
        "- Đại diện Thường trực Đảng ủy, Thường trực Hội đồng nhân dân xã;",
        "- Ủy ban Mặt trận Tổ quốc Việt Nam xã và các tổ chức chính trị - xã hội của xã;",
        "- Lãnh đạo các phòng chuyên môn thuộc Ủy ban nhân dân xã;",
        "- Bí thư chi bộ, Trưởng thôn các thôn trên địa bàn xã.",
        "Thời gian: 14 giờ 00 phút, thứ Năm, ngày 19 tháng 11 năm 2026.",
        "Địa điểm: Hội trường Ủy ban nhân dân xã Hòa Bình.",
        "Chương trình họp:",
        "Thời gian\tNội dung\tNgười thực hiện",
        "14h00 - 14h10\tTuyên bố lý do, giới thiệu đại biểu\tVăn phòng HĐND và UBND xã",
        "14h10 - 14h40\tQuán triệt Kế hoạch tổng vệ sinh môi trường\tPhó Chủ tịch UBND xã",
        "14h40 - 15h30\tThảo luận, phân công nhiệm vụ cho các thôn\tĐại biểu dự họp",
        "15h30 - 15h45\tKết luận cuộc họp\tChủ tịch UBND xã",
        "Đề nghị các thành phần được mời bố trí thời gian tham dự đúng giờ. Trưởng thôn các "
        "thôn chuẩn bị báo cáo ngắn về tình hình vệ sinh môi trường trên địa bàn thôn./.",
        "Nơi nhận:",
        "- Như thành phần mời;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Nguyễn Văn An",
    ])
    save_docx(doc, HERE / "IU03-giay-moi-hop" / "files" / "giay-moi-hop.docx")


# --------------------------------------------------------------------------
# IU03 — báo cáo tiếp công dân (bảng nhiều cột, trang ngang)
# --------------------------------------------------------------------------

def iu03_bao_cao() -> None:
    doc = new_document("Báo cáo kết quả tiếp công dân quý III năm 2026")
    add_lines(doc, [
        "ỦY BAN NHÂN DÂN",
        "XÃ HÒA BÌNH",
        "Số: 215/BC-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hòa Bình, ngày 05 tháng 10 năm 2026",
        "BÁO CÁO",
        "Kết quả công tác tiếp công dân, giải quyết đơn thư quý III năm 2026",
        "I. TÌNH HÌNH CHUNG",
        "Trong quý III năm 2026, tình hình an ninh chính trị, trật tự an toàn xã hội trên địa "
        "bàn xã cơ bản ổn định. Ủy ban nhân dân xã duy trì lịch tiếp công dân định kỳ vào sáng "
        "thứ Năm hằng tuần; Chủ tịch Ủy ban nhân dân xã trực tiếp tiếp công dân 06 buổi. Nội "
        "dung công dân phản ánh chủ yếu liên quan đến đất đai, ranh giới thửa đất, vệ sinh môi "
        "trường và chính sách an sinh xã hội.",
        "II. KẾT QUẢ TIẾP CÔNG DÂN VÀ GIẢI QUYẾT ĐƠN THƯ",
        "1. Kết quả tiếp công dân, tiếp nhận và giải quyết đơn thư",
        "Trong quý, Ủy ban nhân dân xã đã tiếp 43 lượt công dân, tiếp nhận 27 đơn, trong đó 22 "
        "đơn thuộc thẩm quyền; đã giải quyết 17 đơn, đang giải quyết 05 đơn. Kết quả cụ thể "
        "theo từng thôn như sau:",
        "STT\tThôn\tLượt tiếp công dân\tĐơn nhận được\tĐơn thuộc thẩm quyền\tĐã giải quyết\tĐang giải quyết",
        "1\tThôn Đông\t8\t5\t4\t3\t1",
        "2\tThôn Đoài\t6\t4\t3\t3\t0",
        "3\tThôn Trung\t11\t7\t6\t5\t1",
        "4\tThôn Bắc Sơn\t5\t3\t2\t2\t0",
        "5\tThôn Nam Hà\t9\t6\t5\t3\t2",
        "6\tThôn Tân Lập\t4\t2\t2\t1\t1",
        "\tTổng cộng\t43\t27\t22\t17\t5",
        "2. Đánh giá",
        "Các đơn thư thuộc thẩm quyền đều được phân loại, xử lý đúng quy định, trả lời công dân "
        "bằng văn bản. Công tác hòa giải ở cơ sở được chú trọng, nhiều vụ việc được giải quyết "
        "ngay tại thôn. Tuy nhiên, một số vụ việc tranh chấp đất đai còn phức tạp, kéo dài, cần "
        "phối hợp với cơ quan cấp trên để giải quyết dứt điểm.",
        "III. NHIỆM VỤ TRỌNG TÂM QUÝ IV NĂM 2026",
        "- Tiếp tục duy trì nghiêm túc lịch tiếp công dân định kỳ và đột xuất.",
        "- Tập trung giải quyết dứt điểm 05 đơn đang giải quyết, không để phát sinh điểm nóng.",
        "- Tăng cường hòa giải ở cơ sở; tuyên truyền, phổ biến pháp luật về đất đai cho nhân dân.",
        "Nơi nhận:",
        "- Thường trực Đảng ủy xã;",
        "- Thường trực HĐND xã;",
        "- Lưu: VT.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Nguyễn Văn An",
    ])
    save_docx(doc, HERE / "IU03-bao-cao-tiep-cong-dan" / "files" / "bao-cao-tiep-cong-dan.docx")


# --------------------------------------------------------------------------
# IU04 — bảng chấm công và thanh toán tiền công
# --------------------------------------------------------------------------

def iu04_bang_cham_cong() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "ChamCong"
    ws["A1"] = "BẢNG CHẤM CÔNG VÀ THANH TOÁN TIỀN CÔNG LAO ĐỘNG HỢP ĐỒNG THÁNG 10/2026"
    ws["A2"] = "Đơn vị: UBND xã Hòa Bình"
    ws["G2"] = "Đơn vị tính: đồng"
    ws.append(["STT", "Họ và tên", "Công việc", "Ngày công", "Tiền công/ngày",
               "Thành tiền", "Phụ cấp", "Thực lĩnh"])
    rows = [
        ("Nguyễn Văn Bình", "Bảo vệ", 23, 280000),
        ("Trần Thị Hoa", "Tạp vụ", 22, 250000),
        ("Lê Văn Cường", "Lái xe", 20, 320000),
        ("Phạm Thị Dung", "Văn thư hợp đồng", 23, 300000),
        ("Hoàng Văn Đức", "Bảo vệ", 19, 280000),
        ("Vũ Thị Hạnh", "Tạp vụ", 21, 250000),
        ("Đặng Văn Khoa", "Kỹ thuật viên", 22, 320000),
        ("Bùi Thị Lan", "Nhân viên Một cửa", 23, 300000),
        ("Đỗ Văn Minh", "Bảo vệ", 18, 280000),
        ("Ngô Thị Nga", "Tạp vụ", 23, 250000),
        ("Dương Văn Phúc", "Lái xe", 22, 320000),
        ("Lý Thị Quỳnh", "Nhân viên Một cửa", 21, 300000),
    ]
    for i, (name, job, days, rate) in enumerate(rows, start=1):
        ws.append([i, name, job, days, rate])          # rows 4..15; F, G, H left empty
    ws["B16"] = "Tổng cộng"                            # F16:H16 left empty
    for col, width in zip("ABCDEFGH", (6, 22, 18, 10, 14, 14, 12, 14)):
        ws.column_dimensions[col].width = width
    save_xlsx(wb, HERE / "IU04-bang-cham-cong" / "files" / "bang-cham-cong.xlsx")


# --------------------------------------------------------------------------
# IU04 — bảng theo dõi kinh phí và biểu đồ
# --------------------------------------------------------------------------

def iu04_theo_doi_kinh_phi() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "KinhPhi"
    ws["A1"] = "BẢNG THEO DÕI KINH PHÍ THỰC HIỆN NHIỆM VỤ NĂM 2026"
    ws["A2"] = "Đơn vị: UBND xã Hòa Bình"
    ws["H2"] = "Đơn vị tính: đồng"
    ws.append(["STT", "Nội dung chi", "Dự toán năm", "Quý I", "Quý II", "Quý III",
               "Tổng đã chi", "Tỷ lệ thực hiện", "Còn lại"])
    rows = [
        ("Tổ chức Đại hội thể dục thể thao xã", 60000000, 0, 35000000, 18500000),
        ("Tuyên truyền phòng, chống dịch bệnh", 25000000, 6200000, 5800000, 7000000),
        ("Hỗ trợ hoạt động nhà văn hóa thôn", 90000000, 22500000, 22500000, 22500000),
        ("Tập huấn chuyển đổi số cho cán bộ", 40000000, 0, 12000000, 15600000),
        ("Sửa chữa đường giao thông nội đồng", 150000000, 20000000, 48000000, 55000000),
        ("Vệ sinh môi trường, thu gom rác thải", 120000000, 30000000, 30000000, 30000000),
        ("Mua sắm thiết bị Bộ phận Một cửa", 75000000, 0, 0, 68400000),
        ("Phòng cháy, chữa cháy, cứu nạn", 30000000, 4500000, 8000000, 6300000),
        ("Tổ chức Ngày hội Đại đoàn kết", 35000000, 0, 0, 0),
        ("Hỗ trợ hộ nghèo dịp Tết Nguyên đán", 80000000, 76000000, 0, 0),
    ]
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])                           # rows 4..13; G, H, I left empty
    ws["B14"] = "Tổng cộng"                            # C14:I14 left empty
    for r in range(4, 14):
        for col in "CDEF":
            ws[f"{col}{r}"].number_format = "#,##0"
    for col, width in zip("ABCDEFGHI", (6, 14, 14, 12, 12, 12, 14, 14, 14)):
        ws.column_dimensions[col].width = width        # B is deliberately too narrow
    save_xlsx(wb, HERE / "IU04-theo-doi-kinh-phi" / "files" / "theo-doi-kinh-phi.xlsx")


# --------------------------------------------------------------------------
# IU05 — outlines (.docx) and pictures (.png)
# --------------------------------------------------------------------------

def outline(path: Path, title: str, intro: str, slides) -> None:
    """slides: list of (heading, [lines]); each heading names one slide."""
    doc = new_document(title)
    doc.add_paragraph(title.upper())
    doc.add_paragraph(intro)
    for heading, lines in slides:
        doc.add_paragraph(heading)
        for line in lines:
            doc.add_paragraph(line)
    save_docx(doc, path)


def iu05_tuyen_truyen_pccc() -> None:
    folder = HERE / "IU05-tuyen-truyen-pccc" / "files"
    outline(folder / "noi-dung-tuyen-truyen.docx",
            "Nội dung bài trình bày tuyên truyền phòng cháy, chữa cháy",
            "Mỗi mục \"Trang …\" dưới đây là nội dung của một trang chiếu.",
            [
                ("Trang 1", [
                    "Tiêu đề: PHÒNG CHÁY, CHỮA CHÁY TRONG KHU DÂN CƯ",
                    "Phụ đề: UBND xã Hòa Bình - Tháng 11/2026",
                ]),
                ("Trang 2", [
                    "Tiêu đề: Nguyên nhân thường gặp gây cháy",
                    "- Sử dụng điện quá tải, dây dẫn điện không bảo đảm an toàn",
                    "- Đun nấu, thắp hương, đốt vàng mã không có người trông coi",
                    "- Để chất dễ cháy gần bếp và nguồn nhiệt",
                    "- Sạc xe máy điện qua đêm trong nhà ở",
                    "- Trẻ em nghịch lửa",
                ]),
                ("Trang 3", [
                    "Tiêu đề: Phòng cháy tại hộ gia đình",
                    "- Ngắt điện các thiết bị khi không sử dụng",
                    "- Không để xăng, dầu, chất dễ cháy trong nhà ở",
                    "- Trang bị bình chữa cháy, đặt ở nơi dễ thấy, dễ lấy",
                    "- Bố trí lối thoát nạn thứ hai, không khóa kín \"chuồng cọp\"",
                ]),
                ("Trang 4", [
                    "Tiêu đề: Khi xảy ra cháy cần làm gì?",
                    "- Bình tĩnh, hô hoán báo cho mọi người xung quanh",
                    "- Gọi ngay số 114 (Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ)",
                    "- Ngắt điện khu vực bị cháy",
                    "- Dùng bình chữa cháy, nước, cát để dập đám cháy mới phát sinh",
                    "- Thoát nạn ngược hướng khói, dùng khăn ướt che mũi, miệng",
                ]),
                ("Trang 5", [
                    "Tiêu đề: Số điện thoại cần nhớ",
                    "- Cứu hỏa: 114",
                    "- Trực ban Công an xã Hòa Bình: 0123 456 789",
                    "- Mỗi người dân là một chiến sĩ phòng cháy, chữa cháy!",
                ]),
            ])

    # Logo: a flame in a red ring, "PCCC" underneath (drawn 4x, then reduced).
    s = 4
    W = H = 240
    img = Image.new("RGB", (W * s, H * s), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((10 * s, 10 * s, 230 * s, 230 * s), fill="#c62828")
    d.ellipse((24 * s, 24 * s, 216 * s, 216 * s), fill="white")
    outer = [(120, 40), (150, 85), (160, 110), (158, 140), (145, 160), (120, 170),
             (95, 160), (82, 140), (80, 115), (92, 95), (100, 110), (108, 75)]
    inner = [(120, 95), (138, 122), (140, 142), (130, 158), (120, 162), (110, 158),
             (100, 142), (104, 124), (112, 128)]
    d.polygon([(x * s, y * s) for x, y in outer], fill="#ef6c00")
    d.polygon([(x * s, y * s) for x, y in inner], fill="#ffca28")
    f = font(34 * s)
    text = "PCCC"
    box = d.textbbox((0, 0), text, font=f)
    d.text(((W * s - (box[2] - box[0])) / 2, 172 * s), text, font=f, fill="#c62828")
    save_png(img.resize((W, H), Image.LANCZOS), folder / "bieu-tuong-pccc.png")


def iu05_dich_vu_cong() -> None:
    folder = HERE / "IU05-dich-vu-cong-truc-tuyen" / "files"
    outline(folder / "noi-dung-huong-dan.docx",
            "Nội dung bài trình bày hướng dẫn nộp hồ sơ trực tuyến",
            "Mỗi mục \"Trang …\" dưới đây là nội dung của một trang chiếu.",
            [
                ("Trang 1", [
                    "Tiêu đề: HƯỚNG DẪN NỘP HỒ SƠ TRỰC TUYẾN",
                    "Phụ đề: Bộ phận Tiếp nhận và Trả kết quả - UBND xã Hòa Bình",
                ]),
                ("Trang 2", [
                    "Tiêu đề: Lợi ích của dịch vụ công trực tuyến",
                    "- Nộp hồ sơ mọi lúc, mọi nơi, không phải đến trụ sở",
                    "- Theo dõi tiến độ giải quyết trên điện thoại, máy tính",
                    "- Giảm chi phí đi lại và thời gian chờ đợi",
                    "- Một số thủ tục được giảm phí, lệ phí khi nộp trực tuyến",
                ]),
                ("Trang 3", [
                    "Tiêu đề: Nộp trực tiếp và nộp trực tuyến",
                    "Cột trái - Nộp trực tiếp:",
                    "- Đến trụ sở UBND xã trong giờ hành chính",
                    "- Nộp hồ sơ giấy, chờ tiếp nhận",
                    "- Nhận kết quả tại Bộ phận Một cửa",
                    "Cột phải - Nộp trực tuyến:",
                    "- Nộp qua Cổng Dịch vụ công, mọi lúc",
                    "- Tải lên bản chụp hoặc bản điện tử giấy tờ",
                    "- Nhận kết quả qua mạng hoặc qua bưu điện",
                ]),
                ("Trang 4", [
                    "Tiêu đề: Các bước nộp hồ sơ trực tuyến",
                    "1. Đăng nhập Cổng Dịch vụ công bằng tài khoản định danh điện tử",
                    "2. Tìm và chọn thủ tục cần thực hiện",
                    "3. Điền tờ khai, tải lên giấy tờ kèm theo",
                    "4. Kiểm tra, nộp hồ sơ và ghi lại mã hồ sơ",
                    "5. Theo dõi và nhận thông báo kết quả qua tin nhắn, thư điện tử",
                ]),
                ("Trang 5", [
                    "Tiêu đề: Một số thủ tục thường nộp trực tuyến",
                    "- Đăng ký khai sinh",
                    "- Đăng ký khai tử",
                    "- Cấp bản sao trích lục hộ tịch",
                    "- Chứng thực bản sao điện tử từ bản chính",
                    "- Xác nhận tình trạng hôn nhân",
                ]),
                ("Trang 6", [
                    "Tiêu đề: Cần hỗ trợ, xin liên hệ",
                    "Hộp văn bản: Bộ phận Tiếp nhận và Trả kết quả, UBND xã Hòa Bình - "
                    "Điện thoại: 0123 456 789 - Làm việc từ thứ Hai đến thứ Sáu",
                    "Hình minh họa: tệp hinh-dich-vu-cong.png",
                ]),
            ])

    # Illustration: a monitor showing a document with a green tick.
    s = 4
    W, H = 320, 240
    img = Image.new("RGB", (W * s, H * s), "white")
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((20 * s, 20 * s, 300 * s, 190 * s), radius=14 * s, fill="#1565c0")
    d.rectangle((34 * s, 34 * s, 286 * s, 176 * s), fill="#e3f2fd")
    d.polygon([(140 * s, 190 * s), (180 * s, 190 * s), (190 * s, 215 * s), (130 * s, 215 * s)],
              fill="#0d47a1")
    d.rounded_rectangle((100 * s, 212 * s, 220 * s, 224 * s), radius=5 * s, fill="#0d47a1")
    d.rectangle((70 * s, 48 * s, 170 * s, 164 * s), fill="white", outline="#90a4ae", width=3 * s)
    for y in (66, 84, 102, 120, 138):
        d.line((84 * s, y * s, 156 * s, y * s), fill="#90a4ae", width=5 * s)
    d.ellipse((180 * s, 70 * s, 260 * s, 150 * s), fill="#2e7d32")
    d.line([(198 * s, 110 * s), (214 * s, 128 * s), (244 * s, 92 * s)], fill="white",
           width=10 * s, joint="curve")
    save_png(img.resize((W, H), Image.LANCZOS), folder / "hinh-dich-vu-cong.png")


def main() -> None:
    iu03_giay_moi_hop()
    iu03_bao_cao()
    iu04_bang_cham_cong()
    iu04_theo_doi_kinh_phi()
    iu05_tuyen_truyen_pccc()
    iu05_dich_vu_cong()


if __name__ == "__main__":
    main()
