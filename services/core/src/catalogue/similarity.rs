//! How alike two requests (申请内容) are, for Chinese text: character bigrams weighted by how
//! rare they are.
//!
//! Chinese has no spaces between words, and segmenting it needs a dictionary; overlapping
//! pairs of characters (二元组: 老旧、旧小、小区…) capture words and place names without one. A
//! request is normalised first (full-width letters and digits to ASCII, punctuation and spaces
//! dropped, a leading request verb such as 申请公开 or 请提供 removed). Each bigram is weighted
//! by its smoothed inverse document frequency over the requests compared, ln(1 + N / df), so
//! that the wording every request shares (村务公开栏所载…明细) weighs less than what tells
//! requests apart (a town's or village's name). The similarity is the weighted Jaccard index:
//! the weight of the bigrams both requests have over the weight of those either has (0 to 1).
//!
//! Two requests that each name a number or a place the other does not (2023年 and 2024年,
//! 三家镇 and 磨溪镇, 红星村 and 龙泉村) are about different information and score 0: the
//! bigrams alone would find them nearly alike, since the rest of their wording is the same. A
//! place is the two characters before 镇, 乡, 村, 街道, 社区, 区 (not 小区) or 县.

use std::collections::{BTreeMap, BTreeSet};

/// Request verbs removed from the start of a request.
const REQUEST_VERBS: [&str; 12] = [
    "申请公开",
    "请求公开",
    "要求公开",
    "请公开",
    "申请提供",
    "请求提供",
    "要求提供",
    "请提供",
    "申请获取",
    "申请查阅",
    "申请",
    "请求",
];

/// Full-width ASCII to ASCII, lower case, letters and digits (Chinese characters included)
/// only, without a leading request verb.
pub fn normalize(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    while let Some(verb) = REQUEST_VERBS.iter().find(|v| out.starts_with(**v)) {
        out = out[verb.len()..].to_string();
    }
    out
}

/// The character bigrams of a normalised text (the text itself when it has one character).
pub fn bigrams(normalized: &str) -> BTreeSet<String> {
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() == 1 {
        return BTreeSet::from([normalized.to_string()]);
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// The runs of digits of a normalised text (years, amounts, numbers).
pub fn numbers(normalized: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut run = String::new();
    for c in normalized.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
        } else if !run.is_empty() {
            out.insert(std::mem::take(&mut run));
        }
    }
    out
}

/// What follows a place name.
const PLACE_MARKERS: [&str; 7] = ["街道", "社区", "镇", "乡", "村", "区", "县"];

/// The places a normalised text names: the two characters before each place marker.
pub fn places(normalized: &str) -> BTreeSet<String> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut out = BTreeSet::new();
    for i in 2..chars.len() {
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let Some(marker) = PLACE_MARKERS.iter().find(|m| rest.starts_with(**m)) else {
            continue;
        };
        // 小区 is a housing estate, not a district.
        if *marker == "区" && chars[i - 1] == '小' {
            continue;
        }
        out.insert(chars[i - 2..i].iter().collect());
    }
    out
}

/// Whether each set has something the other lacks (a dropped word is not a conflict).
fn conflict(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    !a.is_subset(b) && !b.is_subset(a)
}

/// Words that make a request about the applicant's own affairs (本人房屋、我的…): what is
/// released to one applicant about themselves is not information for everyone.
const ABOUT_THE_APPLICANT: [&str; 7] = [
    "本人",
    "我的",
    "我家",
    "本户",
    "我户",
    "申请人的",
    "申请人本人",
];

/// Whether a request is about the applicant's own affairs.
pub fn is_about_the_applicant(text: &str) -> bool {
    ABOUT_THE_APPLICANT.iter().any(|w| text.contains(w))
}

/// A request prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub bigrams: BTreeSet<String>,
    pub numbers: BTreeSet<String>,
    pub places: BTreeSet<String>,
}

impl Request {
    pub fn new(text: &str) -> Self {
        let normalized = normalize(text);
        Request {
            bigrams: bigrams(&normalized),
            numbers: numbers(&normalized),
            places: places(&normalized),
        }
    }
}

/// Requests compared with one another: the bigram weights come from all of them.
#[derive(Debug, Clone)]
pub struct Corpus {
    requests: Vec<Request>,
    document_frequency: BTreeMap<String, usize>,
}

impl Corpus {
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let requests: Vec<Request> = texts.into_iter().map(Request::new).collect();
        let mut document_frequency = BTreeMap::new();
        for r in &requests {
            for g in &r.bigrams {
                *document_frequency.entry(g.clone()).or_insert(0) += 1;
            }
        }
        Corpus {
            requests,
            document_frequency,
        }
    }

    pub fn len(&self) -> usize {
        self.requests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// ln(1 + N / df): rare bigrams weigh more; one every request has still counts.
    fn weight(&self, bigram: &str) -> f64 {
        let df = self
            .document_frequency
            .get(bigram)
            .copied()
            .unwrap_or(0)
            .max(1);
        (1.0 + self.requests.len().max(1) as f64 / df as f64).ln()
    }

    /// The similarity of requests `i` and `j`, from 0 (nothing shared) to 1 (the same).
    pub fn similarity(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.requests[i], &self.requests[j]);
        if conflict(&a.numbers, &b.numbers) || conflict(&a.places, &b.places) {
            return 0.0;
        }
        let shared: f64 = a
            .bigrams
            .intersection(&b.bigrams)
            .map(|g| self.weight(g))
            .sum();
        let either: f64 = a.bigrams.union(&b.bigrams).map(|g| self.weight(g)).sum();
        if either == 0.0 { 0.0 } else { shared / either }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_drops_punctuation_width_and_the_request_verb() {
        assert_eq!(
            normalize("申请公开：安居区２０２３年 城镇老旧小区改造项目（立项批复）。"),
            "安居区2023年城镇老旧小区改造项目立项批复"
        );
        assert_eq!(normalize("请提供ABC文件"), "abc文件");
        assert_eq!(normalize("申请"), "");
    }

    #[test]
    fn bigrams_and_numbers() {
        let b = bigrams("老旧小区");
        assert_eq!(
            b,
            BTreeSet::from(["老旧".into(), "旧小".into(), "小区".into()])
        );
        assert_eq!(bigrams("区"), BTreeSet::from(["区".to_string()]));
        assert!(bigrams("").is_empty());
        assert_eq!(
            numbers("2023年第5号"),
            BTreeSet::from(["2023".into(), "5".into()])
        );
    }

    #[test]
    fn the_same_request_in_other_words_is_close_and_other_information_is_not() {
        let corpus = Corpus::new([
            "申请公开安居区2023年城镇老旧小区改造项目的立项批复文件",
            "申请公开安居区2023年城镇老旧小区改造项目的立项批复文件。",
            "请提供：安居区2023年城镇老旧小区改造项目立项批复文件",
            "申请公开三家镇红星村村务公开栏所载2023年度财务收支明细",
            "申请公开三家镇龙泉村村务公开栏所载2023年度财务收支明细",
            "申请公开安居区2024年城镇老旧小区改造项目的立项批复文件",
            "申请公开磨溪镇柏林村土地承包经营权确权登记相关资料",
        ]);
        assert_eq!(corpus.similarity(0, 1), 1.0);
        let reworded = corpus.similarity(0, 2);
        assert!(reworded > 0.8, "{reworded}");
        assert_eq!(corpus.similarity(3, 4), 0.0, "another village");
        assert_eq!(corpus.similarity(0, 5), 0.0, "another year");
        assert!(corpus.similarity(0, 6) < 0.1);
        assert_eq!(corpus.similarity(2, 0), reworded, "symmetric");
    }

    #[test]
    fn places_named() {
        assert_eq!(
            places("三家镇红星村村务公开栏"),
            BTreeSet::from(["三家".into(), "红星".into(), "星村".into()])
        );
        assert_eq!(
            places("安居区2023年城镇老旧小区改造"),
            BTreeSet::from(["安居".into(), "年城".into()])
        );
        assert!(places("白马社区").contains("白马"));
        let a = BTreeSet::from(["三家".to_string(), "红星".to_string()]);
        let b = BTreeSet::from(["红星".to_string()]);
        assert!(!conflict(&a, &b), "a place left out");
        assert!(conflict(&a, &BTreeSet::from(["龙泉".to_string()])));
    }

    #[test]
    fn requests_about_the_applicant() {
        assert!(is_about_the_applicant(
            "申请公开本人房屋被认定为违法建筑的认定依据"
        ));
        assert!(!is_about_the_applicant("申请公开安居区老旧小区改造项目"));
    }
}
