//! Case records that reproduce a published annual report: given its tables 三 and 四 (and the
//! fee of section 六), one record per application such that counting the records by the rules
//! of the report format gives exactly the published figures. This is how ogi's demo data is
//! made from public facts (`examples/anju-2024/`): the figures are the agency's, the people,
//! requests and dates are invented. Deterministic for a given seed.

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use super::{GIVEN, Rng, SURNAMES, pick, procedure, resident_id};
use crate::calendar::WorkCalendar;
use crate::codes::{
    ApplicantType, Channel, Delivery, IdType, OutcomeCode, RequestForm, ReviewKind, ReviewResult,
};
use crate::fees::format_yuan;
use crate::records::{
    Applicant, CaseRecord, HistoryEntry, HistoryEvent, RecordOutcome, RequestDetails, ReviewRecord,
};
use crate::report::{AnnualReport, RowKey, column_label};

/// Why a report's tables cannot be reproduced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReproduceError {
    #[error("表三「{row}」行「{column}」列为空或为负数，无法生成案件")]
    BlankCell { row: String, column: &'static str },
    #[error(
        "表三「{column}」列不平衡：本年新收{new}件＋上年结转{carried_over}件≠办结{processed}件＋结转下年度{carried_forward}件"
    )]
    Unbalanced {
        column: &'static str,
        new: i64,
        carried_over: i64,
        processed: i64,
        carried_forward: i64,
    },
    #[error("表三「{column}」列：上年结转{carried_over}件多于本年办结{processed}件，暂不支持生成")]
    CarriedOverStillOpen {
        column: &'static str,
        carried_over: i64,
        processed: i64,
    },
    #[error("表四「{kind}」「{result}」为空或为负数，无法生成案件")]
    BlankReview {
        kind: &'static str,
        result: &'static str,
    },
    #[error("表四共{reviews}件复议诉讼，多于本年上半年答复的案件{cases}件，无法一案一件")]
    TooManyReviews { reviews: usize, cases: usize },
    #[error("第六部分收费金额无效：{0}")]
    Fee(String),
}

/// How the records are named and drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReproduceOptions {
    /// Case numbers are `{prefix}{year of receipt}-{n:05}`, numbered in order of receipt.
    pub ref_prefix: String,
    pub seed: u64,
}

impl Default for ReproduceOptions {
    fn default() -> Self {
        ReproduceOptions {
            ref_prefix: "AJ".into(),
            seed: 2024,
        }
    }
}

/// Places of the district, for addresses and requests.
const TOWNS: &[&str] = &[
    "安居镇",
    "白马镇",
    "三家镇",
    "石洞镇",
    "玉丰镇",
    "横山镇",
    "保石镇",
    "磨溪镇",
    "东禅镇",
    "拦江镇",
];
const VILLAGES: &[&str] = &[
    "大石村",
    "金竹村",
    "柏林村",
    "新桥村",
    "五里村",
    "龙泉村",
    "桂花村",
];
/// What is asked for, `{town}` and `{village}` filled in.
const REQUESTS: &[&str] = &[
    "申请公开{town}{village}2023年度村务财务收支明细",
    "申请公开{town}{village}集体土地征收补偿安置方案及补偿标准",
    "申请公开{town}某某道路建设项目的环境影响评价审批文件",
    "申请公开{town}2023年度低保对象名单及审批依据",
    "申请公开{town}{village}土地承包经营权确权登记相关资料",
    "申请公开安居区城镇老旧小区改造项目（{town}片区）的立项批复文件",
    "申请公开{town}农村危房改造补助对象名单及补助标准",
    "申请公开{town}某某安置小区建设项目的规划许可证及附图",
    "申请公开{town}{village}高标准农田建设项目招标及验收文件",
    "申请公开安居区{town}房屋征收决定及征收补偿方案",
];
const ORGANISATIONS: &[&str] = &[
    "某某物业管理有限公司",
    "某某建设工程有限公司",
    "某某农业开发有限公司",
    "某某律师事务所",
    "某某研究院",
    "某某社会工作服务中心",
];

/// One application to be written: its column, its outcome (none while open) and when.
struct Planned {
    applicant_type: ApplicantType,
    received_on: NaiveDate,
    outcome: Option<OutcomeCode>,
}

fn cell(report: &AnnualReport, row: RowKey, column: usize) -> Result<i64, ReproduceError> {
    match report.applications.rows.get(row)[column] {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(ReproduceError::BlankCell {
            row: row.qualified_label(),
            column: column_label(column),
        }),
    }
}

/// A working day drawn from `from..=to` (the first working day after `to` if none in between).
fn workday_between(
    rng: &mut Rng,
    calendar: &WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    let mut day = from + Days::new(rng.below(span + 1));
    while !calendar.is_workday(day) {
        day = day + Days::new(1);
    }
    day
}

fn credit_code(rng: &mut Rng) -> String {
    const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let body: Vec<u8> = b"9151090"
        .iter()
        .copied()
        .chain((0..10).map(|_| CHARSET[rng.below(10) as usize]))
        .collect();
    let mut weight = 1u64;
    let mut sum = 0u64;
    for c in &body {
        let v = CHARSET.iter().position(|x| x == c).unwrap_or_default() as u64;
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    let check = CHARSET[((31 - sum % 31) % 31) as usize];
    String::from_utf8(body).unwrap_or_default() + &(check as char).to_string()
}

/// The applications of every column: carried-over ones received in December of the year
/// before, new ones spread over the year, the carried-forward ones received in its last weeks
/// and still open.
fn plan(
    report: &AnnualReport,
    rng: &mut Rng,
    calendar: &WorkCalendar,
) -> Result<Vec<Planned>, ReproduceError> {
    let year = report.year;
    let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let mut planned = Vec::new();
    for (column, &applicant_type) in ApplicantType::ALL.iter().enumerate() {
        let new = cell(report, RowKey::New, column)?;
        let carried_over = cell(report, RowKey::CarriedOver, column)?;
        let carried_forward = cell(report, RowKey::CarriedForward, column)?;
        let mut outcomes = Vec::new();
        for &code in OutcomeCode::ALL {
            let n = cell(report, RowKey::Outcome(code), column)?;
            outcomes.extend(std::iter::repeat_n(code, n as usize));
        }
        let processed = outcomes.len() as i64;
        if new + carried_over != processed + carried_forward {
            return Err(ReproduceError::Unbalanced {
                column: column_label(column),
                new,
                carried_over,
                processed,
                carried_forward,
            });
        }
        if carried_over > processed {
            return Err(ReproduceError::CarriedOverStillOpen {
                column: column_label(column),
                carried_over,
                processed,
            });
        }
        // Fisher-Yates, so which outcome a carried-over case got is drawn too.
        for i in (1..outcomes.len()).rev() {
            outcomes.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut outcomes = outcomes.into_iter();
        for _ in 0..carried_over {
            planned.push(Planned {
                applicant_type,
                received_on: workday_between(
                    rng,
                    calendar,
                    date(year - 1, 12, 9),
                    date(year - 1, 12, 27),
                ),
                outcome: outcomes.next(),
            });
        }
        for outcome in outcomes {
            planned.push(Planned {
                applicant_type,
                received_on: workday_between(rng, calendar, date(year, 1, 2), date(year, 10, 31)),
                outcome: Some(outcome),
            });
        }
        for _ in 0..carried_forward {
            planned.push(Planned {
                applicant_type,
                received_on: workday_between(rng, calendar, date(year, 12, 16), date(year, 12, 27)),
                outcome: None,
            });
        }
    }
    planned.sort_by_key(|p| p.received_on);
    Ok(planned)
}

/// The history and reply of one planned application: the procedure of [`procedure`], replied
/// within the year counted (for a carried-over case, in its first month).
fn handle(
    planned: &Planned,
    year: i32,
    rng: &mut Rng,
    calendar: &WorkCalendar,
) -> (Vec<HistoryEntry>, Option<RecordOutcome>) {
    let Some(code) = planned.outcome else {
        return (Vec::new(), None);
    };
    let first_workday = calendar
        .workdays_after(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(), 1)
        .date;
    if planned.received_on.year() < year {
        // Carried over: a plain case answered in January, within its 20 working days.
        let due = calendar.workdays_after(planned.received_on, 20).date;
        let from = first_workday.min(due);
        let replied_on = workday_between(rng, calendar, from, due.max(from));
        return (Vec::new(), Some(RecordOutcome { code, replied_on }));
    }
    loop {
        let (history, last) = procedure(rng, calendar, planned.received_on, code, false);
        let replied_on = calendar.workdays_after(last, 1 + rng.below(15) as u32).date;
        if replied_on.year() == year {
            return (history, Some(RecordOutcome { code, replied_on }));
        }
        // A long procedure that would end next year: draw it again.
    }
}

/// Attach table 四's reviews and lawsuits, one per case, to cases replied to in the first half
/// of the year (the refusals first, as in life), filed and — unless pending — concluded within it.
fn attach_reviews(
    report: &AnnualReport,
    records: &mut [CaseRecord],
    rng: &mut Rng,
) -> Result<(), ReproduceError> {
    let year = report.year;
    let mut wanted = Vec::new();
    for &kind in ReviewKind::ALL {
        let counts = report.reviews_and_litigation.get(kind);
        let by_result = [
            counts.upheld,
            counts.corrected,
            counts.other,
            counts.pending,
        ];
        for (&result, n) in ReviewResult::ALL.iter().zip(by_result) {
            match n {
                Some(n) if n >= 0 => wanted.extend(std::iter::repeat_n((kind, result), n as usize)),
                _ => {
                    return Err(ReproduceError::BlankReview {
                        kind: kind.label(),
                        result: result.column_label(),
                    });
                }
            }
        }
    }
    let midyear = NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or_default();
    let mut candidates: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.outcome
                .is_some_and(|o| o.replied_on.year() == year && o.replied_on < midyear)
        })
        .map(|(i, _)| i)
        .collect();
    if wanted.len() > candidates.len() {
        return Err(ReproduceError::TooManyReviews {
            reviews: wanted.len(),
            cases: candidates.len(),
        });
    }
    for i in (1..candidates.len()).rev() {
        candidates.swap(i, rng.below(i as u64 + 1) as usize);
    }
    // Stable: the shuffled order within each kind of outcome is kept.
    candidates.sort_by_key(|&i| match records[i].outcome.map(|o| o.code) {
        Some(OutcomeCode::Disclosed) => 2,
        Some(OutcomeCode::PartiallyDisclosed) => 1,
        _ => 0,
    });
    for ((kind, result), index) in wanted.into_iter().zip(candidates) {
        let record = &mut records[index];
        let replied_on = record.outcome.map(|o| o.replied_on).unwrap_or(midyear);
        let filed_on = replied_on + Days::new(10 + rng.below(50));
        let concluded_on =
            (result != ReviewResult::Pending).then(|| filed_on + Days::new(30 + rng.below(60)));
        record.reviews.push(ReviewRecord {
            kind,
            filed_on,
            result,
            concluded_on,
        });
    }
    Ok(())
}

/// The fee of section 六, paid on the first disclosed case replied to in the year that can
/// take a fee notice before its reply.
fn attach_fee(
    report: &AnnualReport,
    records: &mut [CaseRecord],
    calendar: &WorkCalendar,
) -> Result<(), ReproduceError> {
    let Some(total) = report.fees_collected_yuan.filter(|f| *f > Decimal::ZERO) else {
        return Ok(());
    };
    let record = records
        .iter_mut()
        .find(|r| {
            r.history.is_empty()
                && r.received_on.year() == report.year
                && r.outcome.is_some_and(|o| {
                    o.code == OutcomeCode::Disclosed
                        && calendar.workdays_between(r.received_on, o.replied_on) >= 3
                })
        })
        .ok_or_else(|| ReproduceError::Fee("没有可收费的已公开案件".into()))?;
    let notified = calendar.workdays_after(record.received_on, 1).date;
    let paid = calendar.workdays_after(notified, 1).date;
    record.history = vec![
        HistoryEntry {
            on: notified,
            event: HistoryEvent::FeeNotified {
                amount_yuan: format_yuan(total),
            },
        },
        HistoryEntry {
            on: paid,
            event: HistoryEvent::FeePaid,
        },
    ];
    Ok(())
}

/// Case records of `report.agency` whose count for `report.year` is the report's tables 三 and
/// 四 and its fee total. Names, identity numbers (valid check digits), requests and dates are
/// drawn; every date is a working day and every history valid under the procedure.
pub fn reproduce(
    report: &AnnualReport,
    options: &ReproduceOptions,
) -> Result<Vec<CaseRecord>, ReproduceError> {
    let calendar = WorkCalendar::official();
    let mut rng = Rng::new(options.seed);
    let planned = plan(report, &mut rng, &calendar)?;
    let mut numbers = std::collections::BTreeMap::<i32, usize>::new();
    let mut records: Vec<CaseRecord> = planned
        .iter()
        .map(|p| {
            let (history, outcome) = handle(p, report.year, &mut rng, &calendar);
            let n = numbers.entry(p.received_on.year()).or_default();
            *n += 1;
            let town = pick(&mut rng, TOWNS);
            let village = pick(&mut rng, VILLAGES);
            let organisation = p.applicant_type.is_organisation();
            let (name, id_type, id_number, phone, email) = if organisation {
                let name = pick(&mut rng, ORGANISATIONS).to_string();
                let code = credit_code(&mut rng);
                let phone = format!("0825{:07}", rng.below(10_000_000));
                let email = format!("office{:04}@example.cn", rng.below(10_000));
                (
                    name,
                    IdType::UnifiedSocialCreditCode,
                    code,
                    phone,
                    Some(email),
                )
            } else {
                let name = format!("{}{}", pick(&mut rng, SURNAMES), pick(&mut rng, GIVEN));
                let id = resident_id(&mut rng);
                let phone = format!("138{:08}", rng.below(100_000_000));
                (name, IdType::ResidentIdCard, id, phone, None)
            };
            let description = pick(&mut rng, REQUESTS)
                .replace("{town}", town)
                .replace("{village}", village);
            CaseRecord {
                reference: format!("{}{}-{:05}", options.ref_prefix, p.received_on.year(), n),
                agency: report.agency.clone(),
                received_on: p.received_on,
                channel: pick(&mut rng, Channel::ALL),
                applicant: Applicant {
                    applicant_type: p.applicant_type,
                    name,
                    id_type,
                    id_number,
                    phone: Some(phone),
                    address: Some(format!("四川省遂宁市安居区{town}{village}")),
                    email,
                },
                request: RequestDetails {
                    description,
                    form: pick(&mut rng, RequestForm::ALL),
                    delivery: pick(&mut rng, Delivery::ALL),
                },
                history,
                outcome,
                reviews: Vec::new(),
            }
        })
        .collect();
    attach_reviews(report, &mut records, &mut rng)?;
    attach_fee(report, &mut records, &calendar)?;
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{parse_jsonl, to_jsonl_line};
    use crate::report::{ReportCase, Tally};

    const PUBLISHED: &str = include_str!("../../../../examples/anju-2024/published-tables.json");

    fn published() -> AnnualReport {
        serde_json::from_str(PUBLISHED).unwrap()
    }

    fn count(report: &AnnualReport, records: &[CaseRecord]) -> AnnualReport {
        let cases: Vec<ReportCase> = records.iter().map(ReportCase::from).collect();
        let tally = Tally::from_cases(report.year, &cases);
        AnnualReport::from_tally(
            &report.agency,
            report.year,
            &tally,
            report.active_disclosure.clone(),
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_records_count_to_the_published_tables() {
        let published = published();
        let records = reproduce(&published, &ReproduceOptions::default()).unwrap();
        let counted = count(&published, &records);
        assert_eq!(counted.applications, published.applications);
        assert_eq!(
            counted.reviews_and_litigation,
            published.reviews_and_litigation
        );
        assert_eq!(counted.fees_collected_yuan, published.fees_collected_yuan);
        assert!(counted.checks.is_empty(), "{:#?}", counted.checks);

        // Valid records, exported byte for byte as they parse, with histories to exercise.
        let text: Vec<String> = records.iter().map(to_jsonl_line).collect();
        let parsed = parse_jsonl(&text.join("\n"));
        assert_eq!(parsed.errors, [], "{:#?}", parsed.errors);
        assert_eq!(parsed.warnings, []);
        assert_eq!(parsed.records.len(), records.len());
        for (_, record) in &parsed.records {
            record.replay().unwrap();
        }
        let kinds: std::collections::BTreeSet<String> = records
            .iter()
            .flat_map(|r| &r.history)
            .map(|h| serde_json::to_value(h).unwrap()["event"].to_string())
            .collect();
        for event in ["correction_requested", "third_party_consulted", "extended"] {
            assert!(
                kinds.contains(&format!("\"{event}\"")),
                "{event} in {kinds:?}"
            );
        }
        let refs: std::collections::BTreeSet<&str> =
            records.iter().map(|r| r.reference.as_str()).collect();
        assert_eq!(refs.len(), records.len(), "case numbers are unique");
    }

    #[test]
    fn same_seed_same_records_other_seed_other_records() {
        let published = published();
        let options = ReproduceOptions::default();
        let a = reproduce(&published, &options).unwrap();
        assert_eq!(a, reproduce(&published, &options).unwrap());
        let other = ReproduceOptions { seed: 7, ..options };
        let b = reproduce(&published, &other).unwrap();
        assert_ne!(a, b);
        assert_eq!(count(&published, &b).applications, published.applications);
    }

    #[test]
    fn open_cases_and_fees_are_reproduced_too() {
        let mut report = published();
        let rows = &mut report.applications.rows;
        // Three more new cases of enterprises, still open at the end of the year.
        rows.new[1] = Some(3);
        rows.new[6] = rows.new[6].map(|n| n + 3);
        rows.carried_forward[1] = Some(3);
        rows.carried_forward[6] = Some(3);
        report.fees_collected_yuan = Some(Decimal::new(30000, 2));
        let records = reproduce(&report, &ReproduceOptions::default()).unwrap();
        let counted = count(&report, &records);
        assert_eq!(counted.applications, report.applications);
        assert_eq!(counted.fees_collected_yuan, report.fees_collected_yuan);
        assert!(counted.checks.is_empty(), "{:#?}", counted.checks);
    }

    #[test]
    fn an_unbalanced_table_is_refused_naming_the_column() {
        let mut report = published();
        report.applications.rows.new[0] = Some(150);
        let err = reproduce(&report, &ReproduceOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ReproduceError::Unbalanced {
                    column: "自然人",
                    new: 150,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("自然人"), "{err}");
    }
}
