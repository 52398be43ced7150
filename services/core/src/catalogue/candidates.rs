//! Art. 44 candidates (依申请公开转主动公开): clusters of disclosed or partially disclosed
//! applications about the same information, asked by several applicants.
//!
//! Only replies that released information count (予以公开, 部分公开), and not requests about
//! the applicant's own affairs ([`is_about_the_applicant`]). The replies are taken in the order
//! they were made; each joins the cluster whose first reply's request is most like its own, if
//! that similarity ([`Corpus::similarity`]) reaches the threshold, or starts a new cluster.
//! Comparing with the first request only (not with any member) keeps a chain of small changes
//! — 三家镇 to 磨溪镇 to 拦江镇 — from joining different information into one cluster. A
//! cluster with at least `min_applicants` different applicants is a candidate; the reply that
//! released the information is its first full disclosure (else its first partial one), and
//! the candidate is known by that reply's document number.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::similarity::{Corpus, is_about_the_applicant};
use crate::codes::OutcomeCode;

/// A replied application, as the candidates need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepliedApplication {
    pub case_id: String,
    /// Who asked (distinct applicants are counted, not applications).
    pub applicant: String,
    /// What was asked for (申请内容).
    pub request: String,
    pub outcome: OutcomeCode,
    pub replied_on: NaiveDate,
    /// The reply's document number (文号).
    pub document_number: String,
}

/// The thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateRules {
    /// Different applicants needed (3, the "rule of three").
    pub min_applicants: usize,
    /// How alike a request must be to the cluster's first (0–1).
    pub min_similarity: f64,
}

impl Default for CandidateRules {
    fn default() -> Self {
        CandidateRules {
            min_applicants: 3,
            min_similarity: DEFAULT_MIN_SIMILARITY,
        }
    }
}

/// The default similarity threshold: requests worded alike or nearly so (a word dropped, the
/// verb or the punctuation changed).
pub const DEFAULT_MIN_SIMILARITY: f64 = 0.75;

/// A cluster of applications about the same information.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The document number of the reply that released the information.
    pub id: String,
    /// The request of the first application, naming the information.
    pub request: String,
    /// The reply that released it (an element of `applications`).
    pub released_by: RepliedApplication,
    /// In the order they were replied to.
    pub applications: Vec<RepliedApplication>,
    /// How many different applicants asked.
    pub applicants: usize,
    /// The lowest similarity of a member's request to the first one.
    pub min_similarity: f64,
}

/// The candidates among `replied`, most applicants first.
pub fn find_candidates(replied: &[RepliedApplication], rules: CandidateRules) -> Vec<Candidate> {
    let mut released: Vec<&RepliedApplication> = replied
        .iter()
        .filter(|a| {
            matches!(
                a.outcome,
                OutcomeCode::Disclosed | OutcomeCode::PartiallyDisclosed
            ) && !is_about_the_applicant(&a.request)
        })
        .collect();
    released.sort_by(|a, b| {
        (a.replied_on, &a.document_number, &a.case_id).cmp(&(
            b.replied_on,
            &b.document_number,
            &b.case_id,
        ))
    });
    let corpus = Corpus::new(released.iter().map(|a| a.request.as_str()));
    // Each cluster: the index of its first request, its members and their similarities.
    let mut clusters: Vec<(usize, Vec<usize>, f64)> = Vec::new();
    for i in 0..released.len() {
        let best = clusters
            .iter_mut()
            .map(|c| {
                let s = corpus.similarity(c.0, i);
                (s, c)
            })
            .filter(|(s, _)| *s >= rules.min_similarity)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((s, cluster)) => {
                cluster.1.push(i);
                cluster.2 = cluster.2.min(s);
            }
            None => clusters.push((i, vec![i], 1.0)),
        }
    }
    let mut candidates: Vec<Candidate> = clusters
        .into_iter()
        .filter_map(|(first, members, min_similarity)| {
            let applications: Vec<RepliedApplication> =
                members.iter().map(|&m| released[m].clone()).collect();
            let applicants = applications
                .iter()
                .map(|a| a.applicant.trim())
                .collect::<BTreeSet<_>>()
                .len();
            if applicants < rules.min_applicants.max(1) {
                return None;
            }
            let released_by = applications
                .iter()
                .find(|a| a.outcome == OutcomeCode::Disclosed)
                .unwrap_or(&applications[0])
                .clone();
            Some(Candidate {
                id: released_by.document_number.clone(),
                request: released[first].request.clone(),
                released_by,
                applications,
                applicants,
                min_similarity,
            })
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.applicants
            .cmp(&a.applicants)
            .then(a.released_by.replied_on.cmp(&b.released_by.replied_on))
            .then(a.id.cmp(&b.id))
    });
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(n: usize, applicant: &str, request: &str, outcome: OutcomeCode) -> RepliedApplication {
        RepliedApplication {
            case_id: format!("case-{n}"),
            applicant: applicant.into(),
            request: request.into(),
            outcome,
            replied_on: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
                + chrono::Duration::days(n as i64),
            document_number: format!("安府信公〔2024〕{n}号"),
        }
    }

    const OLD_HOUSING: &str = "申请公开安居区2023年城镇老旧小区改造项目的立项批复文件";

    #[test]
    fn three_applicants_asking_for_the_same_document_make_a_candidate() {
        use OutcomeCode::*;
        let replied = vec![
            app(1, "甲", OLD_HOUSING, PartiallyDisclosed),
            app(
                2,
                "乙",
                "请提供安居区2023年城镇老旧小区改造项目立项批复文件。",
                Disclosed,
            ),
            app(3, "丙", OLD_HOUSING, Disclosed),
            app(4, "丁", OLD_HOUSING, UnavailableNotHeld),
            app(
                5,
                "戊",
                "申请公开三家镇红星村村务公开栏所载2023年度财务收支明细",
                Disclosed,
            ),
            app(
                6,
                "己",
                "申请公开三家镇龙泉村村务公开栏所载2023年度财务收支明细",
                Disclosed,
            ),
            app(
                7,
                "庚",
                "申请公开磨溪镇龙泉村村务公开栏所载2023年度财务收支明细",
                Disclosed,
            ),
            app(
                8,
                "辛",
                "申请公开本人房屋被认定为违法建筑的认定依据",
                Disclosed,
            ),
            app(
                9,
                "壬",
                "申请公开本人房屋被认定为违法建筑的认定依据",
                Disclosed,
            ),
            app(
                10,
                "癸",
                "申请公开本人房屋被认定为违法建筑的认定依据",
                Disclosed,
            ),
        ];
        let found = find_candidates(&replied, CandidateRules::default());
        assert_eq!(found.len(), 1, "{found:#?}");
        let c = &found[0];
        assert_eq!(c.applicants, 3);
        let ids: Vec<&str> = c.applications.iter().map(|a| a.case_id.as_str()).collect();
        assert_eq!(
            ids,
            ["case-1", "case-2", "case-3"],
            "not the reply that held nothing"
        );
        assert_eq!(c.released_by.case_id, "case-2", "the first full disclosure");
        assert_eq!(c.id, "安府信公〔2024〕2号");
        assert_eq!(c.request, OLD_HOUSING);
        assert!(c.min_similarity >= DEFAULT_MIN_SIMILARITY);
    }

    #[test]
    fn one_applicant_asking_three_times_is_not_three() {
        let replied: Vec<_> = (1..=3)
            .map(|n| app(n, "甲", OLD_HOUSING, OutcomeCode::Disclosed))
            .collect();
        assert!(find_candidates(&replied, CandidateRules::default()).is_empty());
        let two = CandidateRules {
            min_applicants: 1,
            ..CandidateRules::default()
        };
        assert_eq!(find_candidates(&replied, two)[0].applicants, 1);
    }

    #[test]
    fn other_villages_are_other_information() {
        let replied: Vec<_> = ["红星", "龙泉", "柏林"]
            .iter()
            .enumerate()
            .map(|(n, v)| {
                app(
                    n,
                    &format!("申请人{n}"),
                    &format!("申请公开三家镇{v}村村务公开栏所载2023年度财务收支明细"),
                    OutcomeCode::Disclosed,
                )
            })
            .collect();
        assert!(find_candidates(&replied, CandidateRules::default()).is_empty());
        let loose = CandidateRules {
            min_similarity: 0.01,
            ..CandidateRules::default()
        };
        assert!(find_candidates(&replied, loose).is_empty());
    }

    #[test]
    fn most_applicants_first() {
        let mut replied: Vec<_> = (1..=3)
            .map(|n| app(n, &format!("甲{n}"), OLD_HOUSING, OutcomeCode::Disclosed))
            .collect();
        replied.extend((4..=7).map(|n| {
            app(
                n,
                &format!("乙{n}"),
                "申请公开安居区2023年度义务教育学校招生划片范围的制定依据",
                OutcomeCode::Disclosed,
            )
        }));
        let found = find_candidates(&replied, CandidateRules::default());
        assert_eq!(
            found.iter().map(|c| c.applicants).collect::<Vec<_>>(),
            [4, 3]
        );
    }
}
