//! Resolving what people type for a unit ("Hà Nội / Hoàn Kiếm", "00070")
//! against the unit tree.
use std::collections::{HashMap, HashSet};

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use uuid::Uuid;

use crate::i18n::Lang;

/// One unit of the tree, as the index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: Option<String>,
    pub name: String,
    pub kind: String,
    pub closed: bool,
}

/// Why a unit reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitPathError {
    #[error("no unit given")]
    Empty,
    #[error("unit {segment:?} not found")]
    NotFound { segment: String },
    #[error("{segment:?} matches several units: {candidates:?}")]
    Ambiguous {
        segment: String,
        candidates: Vec<String>,
    },
    #[error("unit {path:?} is closed")]
    Closed { path: String },
}

impl UnitPathError {
    /// A sentence for the person who typed the unit.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, _) => lang.pick("Chưa nhập đơn vị.", "No unit given.").into(),
            (Self::NotFound { segment }, Lang::Vi) => format!("Không tìm thấy đơn vị “{segment}”."),
            (Self::NotFound { segment }, Lang::En) => format!("Unit “{segment}” not found."),
            (
                Self::Ambiguous {
                    segment,
                    candidates,
                },
                _,
            ) => {
                let mut list = candidates
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ");
                if candidates.len() > 5 {
                    list.push_str("; …");
                }
                match lang {
                    Lang::Vi => format!(
                        "Có nhiều đơn vị khớp với “{segment}” ({list}); hãy ghi đủ đường dẫn, ví dụ “Tỉnh / Xã”."
                    ),
                    Lang::En => format!(
                        "“{segment}” matches several units ({list}); give the full path, e.g. “Province / Commune”."
                    ),
                }
            }
            (Self::Closed { path }, Lang::Vi) => {
                format!("Đơn vị “{path}” đã ngừng hoạt động (giải thể hoặc sáp nhập).")
            }
            (Self::Closed { path }, Lang::En) => {
                format!("Unit “{path}” is closed (dissolved or merged).")
            }
        }
    }
}

/// Kind prefixes stripped from names before comparing, longest first.
const PREFIXES: [&str; 14] = [
    "thành phố trung ương",
    "thành phố",
    "thị trấn",
    "đặc khu",
    "thị xã",
    "huyện",
    "phường",
    "phòng",
    "quận",
    "tỉnh",
    "tp.",
    "sở",
    "tp",
    "xã",
];
/// The same prefixes without diacritics, longest first.
const FOLDED_PREFIXES: [&str; 14] = [
    "thanh pho trung uong",
    "thanh pho",
    "thi tran",
    "dac khu",
    "thi xa",
    "huyen",
    "phuong",
    "phong",
    "quan",
    "tinh",
    "tp.",
    "so",
    "tp",
    "xa",
];

/// NFC, lower case, single spaces: the form names are compared in.
pub fn normalize_text(s: &str) -> String {
    let lower: String = s.nfc().flat_map(char::to_lowercase).collect();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower case without diacritics (`đ` → `d`), single spaces.
pub fn fold_diacritics(s: &str) -> String {
    let folded: String = s
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Moves each word's tone mark to the word's end, so the old and new
/// placements ("Hòa"/"Hoà", "Thủy"/"Thuỷ") compare equal.
fn tone_key(normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len() + 4);
    for (i, word) in normalized.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut tone = None;
        let base: String = word
            .nfd()
            .filter(|&c| match c {
                // grave, acute, tilde, hook above, dot below
                '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}' => {
                    tone = Some(c);
                    false
                }
                _ => true,
            })
            .collect();
        out.extend(base.nfc());
        out.extend(tone);
    }
    out
}

/// Removes the longest kind prefix, when something remains after it.
fn strip_prefix<'a>(s: &'a str, prefixes: &[&str]) -> &'a str {
    for p in prefixes {
        if let Some(rest) = s.strip_prefix(p) {
            let separated = p.ends_with('.') || rest.starts_with(' ');
            if separated && !rest.trim().is_empty() {
                return rest.trim_start();
            }
        }
    }
    s
}

/// The exact, prefix-insensitive and diacritics-insensitive keys of a name.
fn keys(name: &str) -> (String, [String; 2], [String; 2]) {
    // "Văn Miếu - Quốc Tử Giám" and "Văn Miếu–Quốc Tử Giám" are one name.
    let name = name.replace(['–', '—'], "-");
    let tight = |s: String| s.replace(" -", "-").replace("- ", "-");
    let norm = tight(normalize_text(&name));
    let exact = tone_key(&norm);
    let loose = [exact.clone(), tone_key(strip_prefix(&norm, &PREFIXES))];
    let folded = tight(fold_diacritics(&name));
    let folded_stripped = strip_prefix(&folded, &FOLDED_PREFIXES).to_string();
    (exact, loose, [folded, folded_stripped])
}

type KeyMap = HashMap<String, Vec<usize>>;

fn add(map: &mut KeyMap, key: String, i: usize) {
    let v = map.entry(key).or_default();
    if v.last() != Some(&i) {
        v.push(i);
    }
}

/// The unit tree with lookup maps, built once and shared by every row.
#[derive(Debug, Clone, Default)]
pub struct UnitIndex {
    units: Vec<UnitRef>,
    by_id: HashMap<Uuid, usize>,
    children: Vec<Vec<usize>>,
    by_code: KeyMap,
    by_number: KeyMap,
    by_exact: KeyMap,
    by_loose: KeyMap,
    by_folded: KeyMap,
}

impl UnitIndex {
    /// Builds the index. A unit whose parent is not in the list counts as a root.
    pub fn new(units: Vec<UnitRef>) -> Self {
        let mut ix = Self {
            children: vec![Vec::new(); units.len()],
            ..Self::default()
        };
        for (i, u) in units.iter().enumerate() {
            ix.by_id.insert(u.id, i);
            if let Some(code) = u.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                add(&mut ix.by_code, code.to_string(), i);
                if let Some(n) = numeric_code(code) {
                    add(&mut ix.by_number, n, i);
                }
            }
            let (exact, loose, folded) = keys(&u.name);
            add(&mut ix.by_exact, exact, i);
            loose.into_iter().for_each(|k| add(&mut ix.by_loose, k, i));
            folded
                .into_iter()
                .for_each(|k| add(&mut ix.by_folded, k, i));
        }
        for (i, u) in units.iter().enumerate() {
            if let Some(p) = u.parent_id.and_then(|p| ix.by_id.get(&p)) {
                ix.children[*p].push(i);
            }
        }
        ix.units = units;
        ix
    }

    /// The unit with this id.
    pub fn get(&self, id: Uuid) -> Option<&UnitRef> {
        self.by_id.get(&id).map(|&i| &self.units[i])
    }

    /// Names from the root down, e.g. "Thành phố Hà Nội / Phường Hoàn Kiếm".
    pub fn path_of(&self, id: Uuid) -> Option<String> {
        self.by_id.get(&id).map(|&i| self.path_at(i))
    }

    /// The unit and everything below it; empty for an unknown id.
    pub fn descendants(&self, id: Uuid) -> Vec<Uuid> {
        let Some(&start) = self.by_id.get(&id) else {
            return Vec::new();
        };
        let (mut out, mut stack, mut seen) = (Vec::new(), vec![start], HashSet::new());
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                out.push(self.units[i].id);
                stack.extend(self.children[i].iter().rev());
            }
        }
        out
    }

    /// Resolves a path ("Hà Nội / Hoàn Kiếm", "01 > 00070") or a single
    /// official code or unique name to an open unit.
    pub fn resolve(&self, input: &str) -> Result<Uuid, UnitPathError> {
        let segments: Vec<&str> = input
            .split(['/', '>'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let Some((first, rest)) = segments.split_first() else {
            return Err(UnitPathError::Empty);
        };
        let mut current = self.matches(first, None);
        if current.is_empty() {
            return Err(UnitPathError::NotFound {
                segment: first.to_string(),
            });
        }
        for seg in rest {
            current = self.matches(seg, Some(&current));
            if current.is_empty() {
                return Err(UnitPathError::NotFound {
                    segment: seg.to_string(),
                });
            }
        }
        let whole = segments.join(" / ");
        if current.len() > 1 && segments.len() > 1 {
            // Several chains fit: prefer those that start at a root.
            let from_root: Vec<usize> = current
                .iter()
                .copied()
                .filter(|&i| {
                    self.ancestor(i, segments.len() - 1)
                        .is_some_and(|a| self.is_root(a))
                })
                .collect();
            if !from_root.is_empty() {
                current = from_root;
            }
        }
        let open: Vec<usize> = current
            .iter()
            .copied()
            .filter(|&i| !self.units[i].closed)
            .collect();
        match (open.as_slice(), current.as_slice()) {
            ([one], _) => Ok(self.units[*one].id),
            ([], [one]) => Err(UnitPathError::Closed {
                path: self.path_at(*one),
            }),
            (many, all) => {
                let pick = if many.is_empty() { all } else { many };
                let mut candidates: Vec<String> = pick.iter().map(|&i| self.path_at(i)).collect();
                candidates.sort();
                Err(UnitPathError::Ambiguous {
                    segment: whole,
                    candidates,
                })
            }
        }
    }

    /// Units matching one segment, among the children of `parents` (or
    /// anywhere): by code, then exact name, then name without kind prefix,
    /// then without diacritics. The first tier that matches wins.
    fn matches(&self, segment: &str, parents: Option<&[usize]>) -> Vec<usize> {
        let keep = |i: &usize| match parents {
            None => true,
            Some(ps) => self.units[*i]
                .parent_id
                .is_some_and(|p| ps.iter().any(|&q| self.units[q].id == p)),
        };
        let look = |map: &KeyMap, ks: &[String]| -> Vec<usize> {
            let mut out: Vec<usize> = ks
                .iter()
                .filter_map(|k| map.get(k))
                .flatten()
                .copied()
                .filter(|i| keep(i))
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        };
        let (exact, loose, folded) = keys(segment);
        let number: Vec<String> = numeric_code(segment).into_iter().collect();
        let tiers: [(&KeyMap, &[String]); 5] = [
            (&self.by_code, &[segment.to_string()]),
            (&self.by_number, &number),
            (&self.by_exact, &[exact]),
            (&self.by_loose, &loose),
            (&self.by_folded, &folded),
        ];
        tiers
            .into_iter()
            .map(|(map, ks)| look(map, ks))
            .find(|m| !m.is_empty())
            .unwrap_or_default()
    }

    fn is_root(&self, i: usize) -> bool {
        self.units[i]
            .parent_id
            .is_none_or(|p| !self.by_id.contains_key(&p))
    }

    fn parent(&self, i: usize) -> Option<usize> {
        self.units[i]
            .parent_id
            .and_then(|p| self.by_id.get(&p).copied())
    }

    fn ancestor(&self, mut i: usize, up: usize) -> Option<usize> {
        for _ in 0..up {
            i = self.parent(i)?;
        }
        Some(i)
    }

    fn path_at(&self, i: usize) -> String {
        let mut names = vec![self.units[i].name.as_str()];
        let mut at = i;
        // The bound guards against a cycle in bad data.
        while let Some(p) = self.parent(at).filter(|_| names.len() <= self.units.len()) {
            names.push(&self.units[p].name);
            at = p;
        }
        names.reverse();
        names.join(" / ")
    }
}

/// An all-digit code without its leading zeros: Excel turns "00070" into 70.
fn numeric_code(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = s.trim_start_matches('0');
    Some(if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Builds a tree from (name, code, parent name, closed) rows; ids follow
    /// the row order.
    fn tree(rows: &[(&str, &str, &str, bool)]) -> UnitIndex {
        let id = |name: &str| {
            let pos = rows.iter().position(|r| r.0 == name).unwrap();
            Uuid::from_u128(pos as u128 + 1)
        };
        let units = rows
            .iter()
            .map(|&(name, code, parent, closed)| UnitRef {
                id: id(name),
                parent_id: (!parent.is_empty()).then(|| id(parent)),
                code: (!code.is_empty()).then(|| code.to_string()),
                name: name.split('#').next().unwrap().to_string(),
                kind: String::new(),
                closed,
            })
            .collect();
        UnitIndex::new(units)
    }

    // Names after '#' only make the test rows unique.
    const ROWS: &[(&str, &str, &str, bool)] = &[
        ("Thành phố Hà Nội", "01", "", false),
        ("Phường Hoàn Kiếm", "00070", "Thành phố Hà Nội", false),
        ("Phường Hàng Bạc", "00037", "Thành phố Hà Nội", true),
        ("Xã Bình Minh#HN", "10141", "Thành phố Hà Nội", false),
        ("Phường Láng", "00187", "Thành phố Hà Nội", false),
        ("Xã Lạng", "", "Thành phố Hà Nội", false),
        ("Thành phố Hồ Chí Minh", "79", "", false),
        ("Phường Sài Gòn", "26740", "Thành phố Hồ Chí Minh", false),
        ("Nghệ An", "40", "", false),
        ("Xã Bình Minh#NA", "17515", "Nghệ An", false),
        ("Xã Hoà An", "", "Nghệ An", false),
        ("Xã Hòa An#closed", "", "Nghệ An", true),
        // A pre-2025 three-level province.
        ("Tỉnh Hà Tĩnh", "42", "", false),
        ("Huyện Kỳ Anh", "", "Tỉnh Hà Tĩnh", false),
        ("Xã Kỳ Hoa", "", "Huyện Kỳ Anh", false),
        ("Thị xã Kỳ Anh", "", "Tỉnh Hà Tĩnh", false),
        ("Thành phố Hà Tĩnh", "", "Tỉnh Hà Tĩnh", false),
        ("Phường Trần Phú", "", "Thành phố Hà Tĩnh", false),
        ("Sở Giáo dục và Đào tạo", "", "Tỉnh Hà Tĩnh", false),
        ("Phòng Giáo dục và Đào tạo", "", "Thành phố Hà Tĩnh", false),
    ];

    fn path(ix: &UnitIndex, input: &str) -> String {
        let id = ix
            .resolve(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
        ix.path_of(id).unwrap()
    }

    #[test]
    fn paths_match_names_with_or_without_kind_prefix() {
        let ix = tree(ROWS);
        let want = "Thành phố Hà Nội / Phường Hoàn Kiếm";
        for input in [
            "Thành phố Hà Nội / Phường Hoàn Kiếm",
            "Hà Nội / Hoàn Kiếm",
            "TP Hà Nội / Hoàn Kiếm",
            "TP. Hà Nội/Phường Hoàn Kiếm",
            "tp.hà nội > hoàn kiếm",
            "  thành   PHỐ hà nội /  phường  HOÀN kiếm ",
            "Thành phố trung ương Hà Nội / Hoàn Kiếm",
        ] {
            assert_eq!(path(&ix, input), want, "{input}");
        }
        let nfd: String = "Hà Nội / Hoàn Kiếm".nfd().collect();
        assert_eq!(path(&ix, &nfd), want);
        assert_eq!(
            path(&ix, "Tp Hồ Chí Minh / Sài Gòn"),
            "Thành phố Hồ Chí Minh / Phường Sài Gòn"
        );
        assert_eq!(
            path(&ix, "Tỉnh Nghệ An / Xã Bình Minh"),
            "Nghệ An / Xã Bình Minh"
        );
    }

    #[test]
    fn codes_match_exactly_or_without_the_zeros_excel_drops() {
        let ix = tree(ROWS);
        let want = "Thành phố Hà Nội / Phường Hoàn Kiếm";
        assert_eq!(path(&ix, "01 / 00070"), want);
        assert_eq!(path(&ix, "00070"), want);
        assert_eq!(path(&ix, "70"), want);
        assert_eq!(path(&ix, "1 > 70"), want);
        assert_eq!(path(&ix, "Hà Nội / 00070"), want);
        assert_eq!(
            ix.resolve("79 / 00070"),
            Err(UnitPathError::NotFound {
                segment: "00070".into()
            })
        );
    }

    #[test]
    fn diacritics_are_a_fallback_that_must_be_unique() {
        let ix = tree(ROWS);
        assert_eq!(
            path(&ix, "Ha Noi / Hoan Kiem"),
            "Thành phố Hà Nội / Phường Hoàn Kiếm"
        );
        assert_eq!(
            path(&ix, "Thanh pho Ho Chi Minh / Phuong Sai Gon"),
            "Thành phố Hồ Chí Minh / Phường Sài Gòn"
        );
        // With diacritics "Láng" is exact; without, Láng and Lạng collide.
        assert_eq!(path(&ix, "Hà Nội / Láng"), "Thành phố Hà Nội / Phường Láng");
        match ix.resolve("Ha Noi / Lang") {
            Err(UnitPathError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn old_and_new_tone_placement_compare_equal_and_open_units_win() {
        let ix = tree(ROWS);
        let open = ix.resolve("Nghệ An / Xã Hoà An").unwrap();
        assert!(!ix.get(open).unwrap().closed);
        assert_eq!(ix.resolve("Nghệ An / Hòa An").unwrap(), open);
        assert_eq!(ix.resolve("Hòa An").unwrap(), open);
    }

    #[test]
    fn a_name_found_in_two_provinces_needs_the_province() {
        let ix = tree(ROWS);
        match ix.resolve("Bình Minh") {
            Err(UnitPathError::Ambiguous {
                segment,
                candidates,
            }) => {
                assert_eq!(segment, "Bình Minh");
                assert_eq!(
                    candidates,
                    vec!["Nghệ An / Xã Bình Minh", "Thành phố Hà Nội / Xã Bình Minh"]
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            path(&ix, "Hà Nội / Bình Minh"),
            "Thành phố Hà Nội / Xã Bình Minh"
        );
        assert_eq!(
            path(&ix, "Hoàn Kiếm"),
            "Thành phố Hà Nội / Phường Hoàn Kiếm"
        );
    }

    #[test]
    fn three_level_paths_follow_the_chain() {
        let ix = tree(ROWS);
        assert_eq!(
            path(&ix, "Hà Tĩnh / Kỳ Anh / Kỳ Hoa"),
            "Tỉnh Hà Tĩnh / Huyện Kỳ Anh / Xã Kỳ Hoa"
        );
        assert_eq!(
            path(&ix, "Hà Tĩnh / Thị xã Kỳ Anh"),
            "Tỉnh Hà Tĩnh / Thị xã Kỳ Anh"
        );
        assert_eq!(
            path(&ix, "Hà Tĩnh / Huyện Kỳ Anh"),
            "Tỉnh Hà Tĩnh / Huyện Kỳ Anh"
        );
        assert!(matches!(
            ix.resolve("Hà Tĩnh / Kỳ Anh"),
            Err(UnitPathError::Ambiguous { .. })
        ));
        // "Hà Tĩnh" names the province and its city; the second segment decides.
        assert_eq!(
            path(&ix, "Hà Tĩnh / Trần Phú"),
            "Tỉnh Hà Tĩnh / Thành phố Hà Tĩnh / Phường Trần Phú"
        );
        assert!(matches!(
            ix.resolve("Hà Tĩnh"),
            Err(UnitPathError::Ambiguous { .. })
        ));
        assert_eq!(
            path(&ix, "Thành phố Hà Tĩnh"),
            "Tỉnh Hà Tĩnh / Thành phố Hà Tĩnh"
        );
        assert_eq!(
            path(&ix, "Xã Kỳ Hoa"),
            "Tỉnh Hà Tĩnh / Huyện Kỳ Anh / Xã Kỳ Hoa"
        );
    }

    #[test]
    fn the_first_segment_prefers_roots() {
        let ix = tree(ROWS);
        // Both the Sở (under the province) and the Phòng (under the city) fit.
        assert_eq!(
            path(&ix, "Hà Tĩnh / Giáo dục và Đào tạo"),
            "Tỉnh Hà Tĩnh / Sở Giáo dục và Đào tạo"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let ix = tree(ROWS);
        assert_eq!(ix.resolve("  "), Err(UnitPathError::Empty));
        assert_eq!(ix.resolve(" / > "), Err(UnitPathError::Empty));
        assert_eq!(
            ix.resolve("Hà Nội / Không Có"),
            Err(UnitPathError::NotFound {
                segment: "Không Có".into()
            })
        );
        assert_eq!(
            ix.resolve("Hoàn Kiếm / Hà Nội"),
            Err(UnitPathError::NotFound {
                segment: "Hà Nội".into()
            })
        );
        assert_eq!(
            ix.resolve("Phường"),
            Err(UnitPathError::NotFound {
                segment: "Phường".into()
            })
        );
        let closed = UnitPathError::Closed {
            path: "Thành phố Hà Nội / Phường Hàng Bạc".into(),
        };
        assert_eq!(ix.resolve("Hà Nội / Hàng Bạc"), Err(closed.clone()));
        assert_eq!(ix.resolve("00037"), Err(closed.clone()));
        let e = UnitPathError::NotFound {
            segment: "Hoàn Kiếm".into(),
        };
        assert_eq!(e.message(Lang::Vi), "Không tìm thấy đơn vị “Hoàn Kiếm”.");
        assert_eq!(e.message(Lang::En), "Unit “Hoàn Kiếm” not found.");
        let many = UnitPathError::Ambiguous {
            segment: "X".into(),
            candidates: vec!["A".into(); 7],
        };
        assert!(many.message(Lang::Vi).contains("; …"));
        for e in [UnitPathError::Empty, closed, many] {
            assert_ne!(e.message(Lang::Vi), e.message(Lang::En));
        }
    }

    #[test]
    fn tree_queries() {
        let ix = tree(ROWS);
        let province = ix.resolve("Tỉnh Hà Tĩnh / Huyện Kỳ Anh").unwrap();
        let below = ix.descendants(ix.get(province).unwrap().parent_id.unwrap());
        assert_eq!(below.len(), 8);
        assert_eq!(ix.descendants(province).len(), 2);
        assert_eq!(ix.descendants(province)[0], province);
        assert!(ix.descendants(Uuid::nil()).is_empty());
        assert_eq!(ix.path_of(Uuid::nil()), None);
        assert_eq!(ix.get(province).unwrap().name, "Huyện Kỳ Anh");
    }

    #[test]
    fn prefixes_are_nfc() {
        for p in PREFIXES {
            assert_eq!(p.nfc().collect::<String>(), p);
            assert_eq!(
                fold_diacritics(p),
                FOLDED_PREFIXES[PREFIXES.iter().position(|q| *q == p).unwrap()]
            );
        }
    }

    #[test]
    fn the_2025_country_file_resolves() {
        let file = "/work/shared/data/vn-units-2025.csv";
        let Ok(text) = std::fs::read_to_string(file) else {
            println!("{file} not found; skipping");
            return;
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let id_of: HashMap<&str, Uuid> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (&r[0], Uuid::from_u128(i as u128 + 1)))
            .collect();
        let units = rows
            .iter()
            .map(|r| UnitRef {
                id: id_of[&r[0]],
                parent_id: id_of.get(&r[3]).copied(),
                code: Some(r[0].to_string()),
                name: r[1].to_string(),
                kind: r[2].to_string(),
                closed: false,
            })
            .collect::<Vec<_>>();
        assert_eq!(units.len(), 3355);
        let ix = UnitIndex::new(units);
        let hk = ix.resolve("Hà Nội / Phường Hoàn Kiếm").unwrap();
        assert_eq!(
            ix.path_of(hk).unwrap(),
            "Thành phố Hà Nội / Phường Hoàn Kiếm"
        );
        assert_eq!(ix.resolve("01 / 00070").unwrap(), hk);
        assert_eq!(ix.resolve("00070").unwrap(), hk);
        assert_eq!(ix.resolve("Ha Noi / Hoan Kiem").unwrap(), hk);
        let sg = ix
            .resolve("Thành phố Hồ Chí Minh / Phường Sài Gòn")
            .unwrap();
        assert_eq!(ix.get(sg).unwrap().code.as_deref(), Some("26740"));
        assert!(matches!(
            ix.resolve("Phường Hoàng Mai"),
            Err(UnitPathError::Ambiguous { .. })
        ));
        assert!(ix.resolve("Nghệ An / Phường Hoàng Mai").is_ok());
        assert!(ix.resolve("Quảng Ninh / Đặc khu Vân Đồn").is_ok());
        assert!(ix.resolve("Tỉnh Quảng Ninh / Vân Đồn").is_ok());
        assert!(ix.resolve("Hà Nội / Văn Miếu–Quốc Tử Giám").is_ok());
        assert_eq!(ix.descendants(ix.resolve("01").unwrap()).len(), 127);

        // Many rows over the whole country stay fast: lookups are by map.
        let inputs = [
            "Hà Nội / Hoàn Kiếm",
            "79 / 26740",
            "Ha Noi / Hoang Mai",
            "Bình Minh",
        ];
        let start = std::time::Instant::now();
        let ok = (0..20_000)
            .filter(|i| ix.resolve(inputs[i % inputs.len()]).is_ok())
            .count();
        println!("20,000 resolutions in {:?}", start.elapsed());
        assert_eq!(ok, 15_000);
    }
}
