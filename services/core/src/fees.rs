//! Information processing fees (信息处理费) under 国办函〔2020〕109号: two progressive modes,
//! per application (按件, counted per applicant per calendar month) and per page (按量).
//! Money is exact decimal yuan, never a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::limits;

/// The fee mode of one application; an application is charged by one mode, never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum FeeBasis {
    /// 按件计收: this is the applicant's `nth` application to the agency in the calendar month.
    PerApplication { nth_in_month: u32 },
    /// 按量计收: the number of pages (or page equivalents) provided.
    PerPage { pages: u32 },
}

impl FeeBasis {
    /// The fee in yuan.
    pub fn fee(self) -> Decimal {
        match self {
            FeeBasis::PerApplication { nth_in_month } => per_application_fee(nth_in_month),
            FeeBasis::PerPage { pages } => per_page_fee(pages),
        }
    }

    /// A sentence explaining the amount, for the fee notice (收费通知).
    pub fn explain(self) -> String {
        match self {
            FeeBasis::PerApplication { nth_in_month } => format!(
                "按件计收：本申请为申请人本月第{nth_in_month}件申请，应收{}元（每月1—10件免费，11—30件每件100元，31件起每10件为一档、每档每件加收100元）。",
                format_yuan(self.fee())
            ),
            FeeBasis::PerPage { pages } => format!(
                "按量计收：共{pages}页，应收{}元（1—30页免费，31—100页每页10元，101—200页每页20元，201页以上每页40元）。",
                format_yuan(self.fee())
            ),
        }
    }
}

/// The fee for an applicant's `nth` application in one calendar month (按件):
/// 1–10 free; 11–30: 100 yuan; 31–40: 200; 41–50: 300; and so on.
pub fn per_application_fee(nth_in_month: u32) -> Decimal {
    match nth_in_month {
        0..=10 => Decimal::ZERO,
        11..=30 => Decimal::from(100),
        n => Decimal::from(100 * (1 + (n - 21) / 10)),
    }
}

/// The total of a month's `count` applications charged per application.
pub fn per_application_total(count: u32) -> Decimal {
    (1..=count).map(per_application_fee).sum()
}

/// The fee for `pages` pages (按量): 1–30 free; 31–100 at 10 yuan; 101–200 at 20; from 201 at 40.
pub fn per_page_fee(pages: u32) -> Decimal {
    // In u64: 40 yuan times four billion pages does not fit a u32.
    let pages = u64::from(pages);
    let band = |from: u64, to: u64, price: u64| -> u64 {
        if pages < from {
            0
        } else {
            (pages.min(to) - from + 1) * price
        }
    };
    Decimal::from(band(31, 100, 10) + band(101, 200, 20) + band(201, u64::MAX, 40))
}

/// The largest fee ogi accepts: the per-page fee for [`limits::MAX_FEE_PAGES`] pages, above
/// anything the per-application mode reaches within [`limits::MAX_NTH_IN_MONTH`].
pub fn max_fee() -> Decimal {
    per_page_fee(limits::MAX_FEE_PAGES).max(per_application_fee(limits::MAX_NTH_IN_MONTH))
}

/// Why a fee basis is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasisError {
    #[error("页数{0}超过上限{max}页", max = limits::MAX_FEE_PAGES)]
    TooManyPages(u32),
    #[error("本月第{0}件超过上限{max}件", max = limits::MAX_NTH_IN_MONTH)]
    NthTooLarge(u32),
    #[error("须为正整数")]
    Zero,
}

impl FeeBasis {
    /// The basis when its figure is within the domain's bounds.
    pub fn checked(self) -> Result<Self, BasisError> {
        match self {
            FeeBasis::PerPage { pages: 0 } | FeeBasis::PerApplication { nth_in_month: 0 } => {
                Err(BasisError::Zero)
            }
            FeeBasis::PerPage { pages } if pages > limits::MAX_FEE_PAGES => {
                Err(BasisError::TooManyPages(pages))
            }
            FeeBasis::PerApplication { nth_in_month }
                if nth_in_month > limits::MAX_NTH_IN_MONTH =>
            {
                Err(BasisError::NthTooLarge(nth_in_month))
            }
            _ => Ok(self),
        }
    }
}

/// Why a money string is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额「{0}」不是十进制数字")]
    NotDecimal(String),
    #[error("金额「{0}」最多保留两位小数")]
    TooPrecise(String),
    #[error("金额「{0}」不能为负数")]
    Negative(String),
    #[error("金额「{0}」超过上限{max}元（按量计收{pages}页的收费）", max = format_yuan(max_fee()), pages = limits::MAX_FEE_PAGES)]
    TooLarge(String),
}

/// Parse a yuan amount given as a decimal string with at most two decimals.
pub fn parse_yuan(text: &str) -> Result<Decimal, MoneyError> {
    let trimmed = text.trim();
    if trimmed.len() > 32 {
        return Err(MoneyError::NotDecimal(text.chars().take(32).collect()));
    }
    if trimmed.is_empty()
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err(MoneyError::NotDecimal(text.to_string()));
    }
    let value: Decimal = trimmed
        .parse()
        .map_err(|_| MoneyError::NotDecimal(text.to_string()))?;
    if value.scale() > 2 {
        return Err(MoneyError::TooPrecise(text.to_string()));
    }
    if value.is_sign_negative() && !value.is_zero() {
        return Err(MoneyError::Negative(text.to_string()));
    }
    if value > max_fee() {
        return Err(MoneyError::TooLarge(text.to_string()));
    }
    Ok(value)
}

/// Format yuan with exactly two decimals (`300.00`).
pub fn format_yuan(value: Decimal) -> String {
    let mut v = value.round_dp(2);
    v.rescale(2);
    v.to_string()
}

/// Yuan to 万元 with two decimals, as table 二 prints fees.
pub fn yuan_to_10k(value: Decimal) -> String {
    format_yuan(value / Decimal::from(10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_have_a_domain_bound_and_never_overflow() {
        // Finding 5: 4294967295 pages gave 4,294,961,956 yuan (a wrapped u32).
        assert_eq!(per_page_fee(u32::MAX), Decimal::from(171_798_686_500u64));
        assert!(FeeBasis::PerPage { pages: u32::MAX }.checked().is_err());
        assert!(FeeBasis::PerPage { pages: 2219 }.checked().is_ok());
        assert!(
            FeeBasis::PerApplication { nth_in_month: 5000 }
                .checked()
                .is_err()
        );
        assert_eq!(max_fee(), Decimal::from(3_994_700));
        assert!(matches!(
            parse_yuan("99999999999999999999999.99"),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(parse_yuan("3994700.00").is_ok());
        assert!(parse_yuan("3994700.01").is_err());
    }

    #[test]
    fn per_page_worked_example() {
        assert_eq!(per_page_fee(2219), Decimal::from(83_460));
        assert_eq!(per_page_fee(30), Decimal::ZERO);
        assert_eq!(per_page_fee(31), Decimal::from(10));
        assert_eq!(per_page_fee(100), Decimal::from(700));
        assert_eq!(per_page_fee(101), Decimal::from(720));
        assert_eq!(per_page_fee(200), Decimal::from(2_700));
        assert_eq!(per_page_fee(201), Decimal::from(2_740));
    }

    #[test]
    fn per_application_bands() {
        let fees: Vec<u32> = [1, 10, 11, 30, 31, 40, 41, 50, 51]
            .iter()
            .map(|n| per_application_fee(*n).try_into().unwrap())
            .collect();
        assert_eq!(fees, [0, 0, 100, 100, 200, 200, 300, 300, 400]);
        // 20 × 100 + 10 × 200
        assert_eq!(per_application_total(40), Decimal::from(4_000));
        assert_eq!(per_application_total(10), Decimal::ZERO);
    }

    #[test]
    fn money_is_exact_decimal() {
        assert_eq!(format_yuan(parse_yuan("300").unwrap()), "300.00");
        assert_eq!(
            format_yuan(parse_yuan("0.1").unwrap() + parse_yuan("0.2").unwrap()),
            "0.30"
        );
        assert_eq!(
            parse_yuan("1.234"),
            Err(MoneyError::TooPrecise("1.234".into()))
        );
        assert_eq!(parse_yuan("-5"), Err(MoneyError::Negative("-5".into())));
        assert_eq!(parse_yuan("1e3"), Err(MoneyError::NotDecimal("1e3".into())));
        assert_eq!(yuan_to_10k(Decimal::from(65_329_600)), "6532.96");
        assert!(
            FeeBasis::PerPage { pages: 2219 }
                .explain()
                .contains("83460.00元")
        );
    }
}
