//! Realistic synthetic case records for benchmarks and load tests: outcomes, applicant types,
//! corrections, consultations, extensions, fees and reviews in proportions like a district
//! government's year (the Anju 2024 fixture), every history valid under the procedure and every
//! date a working day on the official calendar. Deterministic for a given seed.

pub mod reproduce;

use chrono::{Datelike, Days, NaiveDate};

use crate::calendar::WorkCalendar;
use crate::codes::{
    ApplicantType, Channel, Delivery, IdType, OutcomeCode, RequestForm, ReviewKind, ReviewResult,
};
use crate::records::{
    Applicant, CaseRecord, HistoryEntry, HistoryEvent, RecordOutcome, RequestDetails, ReviewRecord,
};

/// A small deterministic generator (xorshift64*), so no dependency is needed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Outcome weights per thousand, roughly the Anju 2024 mix, every code possible.
const OUTCOME_WEIGHTS: [(OutcomeCode, u64); 21] = [
    (OutcomeCode::Disclosed, 440),
    (OutcomeCode::PartiallyDisclosed, 90),
    (OutcomeCode::WithheldStateSecret, 3),
    (OutcomeCode::WithheldProhibitedByLaw, 8),
    (OutcomeCode::WithheldThreeSafetiesOneStability, 3),
    (OutcomeCode::WithheldThirdPartyRights, 10),
    (OutcomeCode::WithheldInternalAffairs, 10),
    (OutcomeCode::WithheldProcessInformation, 60),
    (OutcomeCode::WithheldEnforcementCaseFile, 15),
    (OutcomeCode::WithheldAdministrativeInquiry, 12),
    (OutcomeCode::UnavailableNotHeld, 250),
    (OutcomeCode::UnavailableRequiresCreation, 18),
    (OutcomeCode::UnavailableUnclearAfterCorrection, 10),
    (OutcomeCode::NotProcessedPetitionComplaint, 15),
    (OutcomeCode::NotProcessedDuplicate, 15),
    (OutcomeCode::NotProcessedPublication, 3),
    (OutcomeCode::NotProcessedExcessive, 3),
    (OutcomeCode::NotProcessedConfirmOrReissue, 5),
    (OutcomeCode::OtherCorrectionOverdue, 15),
    (OutcomeCode::OtherFeeOverdue, 5),
    (OutcomeCode::OtherOther, 10),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "建华", "秀英", "伟", "芳", "敏", "静", "强", "磊", "洋", "艳", "勇", "军",
];
const SUBJECTS: &[&str] = &[
    "城镇老旧小区改造项目",
    "征地补偿安置方案",
    "农村危房改造名单",
    "道路建设工程招标文件",
    "财政预算执行情况",
    "环境影响评价报告",
    "拆迁补偿标准",
    "低保审批名单",
];

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize]
}

fn resident_id(rng: &mut Rng) -> String {
    let birth =
        NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default() + Days::new(rng.below(365 * 50));
    let body = format!("510904{}{:03}", birth.format("%Y%m%d"), rng.below(1000));
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{body}{}", C[(sum % 11) as usize])
}

/// The procedural history of a case received on `received` that ends in `outcome`: corrections,
/// consultations, extensions and fees in realistic proportions, every step on a working day.
/// Returns the history and the day of its last step (the reply follows it). `paid_fees` allows
/// a fee that is paid (counted in the report's section 六); a fee left unpaid goes with
/// `other.fee_overdue` whatever it says.
pub(crate) fn procedure(
    rng: &mut Rng,
    calendar: &WorkCalendar,
    received: NaiveDate,
    outcome: OutcomeCode,
    paid_fees: bool,
) -> (Vec<HistoryEntry>, NaiveDate) {
    let next_workday = |d: NaiveDate, n: u32| calendar.workdays_after(d, n).date;
    let mut history = Vec::new();
    let mut day = received;
    let mut push = |on: NaiveDate, event: HistoryEvent| history.push(HistoryEntry { on, event });
    let needs_correction = matches!(
        outcome,
        OutcomeCode::OtherCorrectionOverdue | OutcomeCode::UnavailableUnclearAfterCorrection
    ) || rng.chance(6);
    if needs_correction {
        day = next_workday(day, 1 + rng.below(5) as u32);
        let due = next_workday(day, 15);
        push(day, HistoryEvent::CorrectionRequested { due_on: Some(due) });
        if outcome == OutcomeCode::OtherCorrectionOverdue {
            day = next_workday(due, 1);
        } else {
            day = next_workday(day, 1 + rng.below(10) as u32);
            push(day, HistoryEvent::Corrected);
        }
    }
    let handled = outcome != OutcomeCode::OtherCorrectionOverdue;
    if handled && (outcome == OutcomeCode::WithheldThirdPartyRights || rng.chance(8)) {
        day = next_workday(day, 1 + rng.below(5) as u32);
        push(day, HistoryEvent::ThirdPartyConsulted);
        day = next_workday(day, 1 + rng.below(15) as u32);
        push(day, HistoryEvent::ThirdPartyReplied);
    }
    if handled && rng.chance(3) {
        day = next_workday(day, 1 + rng.below(5) as u32);
        push(day, HistoryEvent::OtherAgencyConsulted);
        day = next_workday(day, 1 + rng.below(15) as u32);
        push(day, HistoryEvent::OtherAgencyReplied);
    }
    if handled && rng.chance(10) {
        day = next_workday(day, 1 + rng.below(10) as u32);
        push(
            day,
            HistoryEvent::Extended {
                days: 1 + rng.below(20) as u32,
            },
        );
    }
    let fee = outcome == OutcomeCode::OtherFeeOverdue || (handled && paid_fees && rng.chance(1));
    if fee {
        day = next_workday(day, 1 + rng.below(3) as u32);
        push(
            day,
            HistoryEvent::FeeNotified {
                amount_yuan: format!("{}.00", 100 * (1 + rng.below(5))),
            },
        );
        if outcome != OutcomeCode::OtherFeeOverdue {
            day = next_workday(day, 1 + rng.below(10) as u32);
            push(day, HistoryEvent::FeePaid);
        } else {
            day = next_workday(day, 21);
        }
    }
    (history, day)
}

/// `cases` records of `agency` received in `year` (replies may fall early next year).
pub fn synthesize(agency: &str, year: i32, cases: usize, seed: u64) -> Vec<CaseRecord> {
    let calendar = WorkCalendar::official();
    let mut rng = Rng::new(seed);
    let first = NaiveDate::from_ymd_opt(year, 1, 2).unwrap_or_default();
    let total: u64 = OUTCOME_WEIGHTS.iter().map(|(_, w)| w).sum();
    let next_workday = |d: NaiveDate, n: u32| calendar.workdays_after(d, n).date;
    (0..cases)
        .map(|i| {
            let mut received = first + Days::new(rng.below(340));
            while !calendar.is_workday(received) {
                received = received + Days::new(1);
            }
            let mut roll = rng.below(total);
            let outcome = OUTCOME_WEIGHTS
                .iter()
                .find(|(_, w)| {
                    let hit = roll < *w;
                    roll = roll.saturating_sub(*w);
                    hit
                })
                .map_or(OutcomeCode::Disclosed, |(o, _)| *o);
            let (history, day) = procedure(&mut rng, &calendar, received, outcome, true);
            let replied = next_workday(day, 1 + rng.below(15) as u32);
            let mut reviews = Vec::new();
            if rng.chance(6) {
                let filed = replied + Days::new(10 + rng.below(50));
                let kind = pick(&mut rng, ReviewKind::ALL);
                let result = pick(&mut rng, ReviewResult::ALL);
                let concluded = (result != ReviewResult::Pending)
                    .then(|| filed + Days::new(30 + rng.below(60)));
                reviews.push(ReviewRecord {
                    kind,
                    filed_on: filed,
                    result,
                    concluded_on: concluded,
                });
            }
            let organisation = rng.chance(3);
            let applicant_type = if organisation {
                pick(&mut rng, &ApplicantType::ALL[1..])
            } else {
                ApplicantType::NaturalPerson
            };
            let name = if organisation {
                format!("{}有限公司", pick(&mut rng, SUBJECTS))
            } else {
                format!("{}{}", pick(&mut rng, SURNAMES), pick(&mut rng, GIVEN))
            };
            CaseRecord {
                reference: format!("S{year}-{:07}", i + 1),
                agency: agency.to_string(),
                received_on: received,
                channel: pick(&mut rng, Channel::ALL),
                applicant: Applicant {
                    applicant_type,
                    name,
                    id_type: IdType::ResidentIdCard,
                    id_number: resident_id(&mut rng),
                    phone: Some(format!("138{:08}", rng.below(100_000_000))),
                    address: Some(format!("四川省遂宁市安居区{}镇", pick(&mut rng, SURNAMES))),
                    email: None,
                },
                request: RequestDetails {
                    description: format!(
                        "申请公开{}年{}的相关文件（第{}号）",
                        received.year(),
                        pick(&mut rng, SUBJECTS),
                        i + 1
                    ),
                    form: pick(&mut rng, RequestForm::ALL),
                    delivery: pick(&mut rng, Delivery::ALL),
                },
                history,
                outcome: Some(RecordOutcome {
                    code: outcome,
                    replied_on: replied,
                }),
                reviews,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{parse_jsonl, to_jsonl_line};

    #[test]
    fn synthetic_records_are_valid_and_deterministic() {
        let records = synthesize("测试区人民政府", 2025, 2000, 7);
        let text: Vec<String> = records.iter().map(to_jsonl_line).collect();
        let parsed = parse_jsonl(&text.join("\n"));
        assert!(
            parsed.errors.is_empty(),
            "{:?}",
            &parsed.errors[..parsed.errors.len().min(3)]
        );
        assert!(parsed.warnings.is_empty());
        assert_eq!(parsed.records.len(), 2000);
        let outcomes: std::collections::BTreeSet<_> = records
            .iter()
            .filter_map(|r| r.outcome.as_ref().map(|o| o.code))
            .collect();
        assert_eq!(outcomes.len(), 21, "every outcome appears");
        assert_eq!(
            synthesize("测试区人民政府", 2025, 50, 7),
            synthesize("测试区人民政府", 2025, 50, 7)
        );
    }
}
