//! Charts drawn on the server as SVG (no JavaScript): horizontal bars for counts, vertical
//! bars by month. Colours are presentation attributes, not inline styles, so the page's
//! Content-Security-Policy (`style-src 'self'`) holds. Every chart has a title and a text
//! alternative; the figures are also in a table beside it.

use std::fmt::Write;

/// Text for SVG content or an attribute.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const INK: &str = "#1d2733";
const MUTED: &str = "#5b6675";
const LINE: &str = "#d5dbe3";

/// One bar: its label, value, the text written at its end, and its colour.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub colour: &'static str,
}

/// Horizontal bars, one a row, scaled to the largest value.
pub fn horizontal_bars(title: &str, bars: &[Bar]) -> String {
    let row = 28.0;
    let label_w = 120.0;
    let bar_w = 360.0;
    let width = label_w + bar_w + 80.0;
    let height = row * bars.len() as f64 + 10.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 5.0 + row * i as f64;
        let w = (b.value / max * bar_w).max(if b.value > 0.0 { 2.0 } else { 0.0 });
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13" fill="{INK}">{label}</text><rect x="{label_w}" y="{ry}" width="{w:.1}" height="{h}" fill="{c}"/><text x="{vx:.1}" y="{ty}" font-size="13" fill="{INK}">{text}</text>"#,
            lx = label_w - 8.0,
            ty = y + 17.0,
            label = esc(&b.label),
            ry = y + 3.0,
            h = row - 8.0,
            c = b.colour,
            vx = label_w + w + 6.0,
            text = esc(&b.text),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One month's bars, side by side, sharing one scale.
pub struct Group {
    pub label: String,
    pub bars: Vec<Bar>,
}

/// Vertical bars by month (groups), scaled to `max` (or the largest value), with a base line
/// and the groups' labels under it.
pub fn grouped_columns(
    title: &str,
    groups: &[Group],
    max: Option<f64>,
    legend: &[(&str, &'static str)],
) -> String {
    let plot_h = 180.0;
    let top = 24.0;
    let bottom = 40.0;
    let group_w = 56.0;
    let left = 10.0;
    let width = left * 2.0 + group_w * groups.len().max(1) as f64;
    let width = width.max(320.0);
    let height = top + plot_h + bottom;
    let max = max
        .unwrap_or_else(|| {
            groups
                .iter()
                .flat_map(|g| g.bars.iter().map(|b| b.value))
                .fold(0.0, f64::max)
        })
        .max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let mut x = 4.0;
    for (name, colour) in legend {
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/><text x="{tx}" y="15" font-size="12" fill="{MUTED}">{n}</text>"#,
            tx = x + 16.0,
            n = esc(name)
        );
        x += 16.0 + 13.0 * name.chars().count() as f64 + 14.0;
    }
    let base = top + plot_h;
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{base}" x2="{x2}" y2="{base}" stroke="{LINE}"/>"#,
        x2 = width - left
    );
    for (i, g) in groups.iter().enumerate() {
        let gx = left + group_w * i as f64;
        let n = g.bars.len().max(1) as f64;
        let bw = (group_w - 12.0) / n;
        for (j, b) in g.bars.iter().enumerate() {
            let h = (b.value / max * (plot_h - 16.0)).max(0.0);
            let bx = gx + 6.0 + bw * j as f64;
            let _ = write!(
                svg,
                r#"<rect x="{bx:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"/><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-size="10" fill="{INK}">{text}</text>"#,
                y = base - h,
                w = bw - 2.0,
                c = b.colour,
                cx = bx + (bw - 2.0) / 2.0,
                ty = base - h - 3.0,
                text = esc(&b.text),
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{cx:.1}" y="{ly}" text-anchor="middle" font-size="11" fill="{MUTED}">{l}</text>"#,
            cx = gx + group_w / 2.0,
            ly = base + 16.0,
            l = esc(&g.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_their_text() {
        let svg = horizontal_bars(
            "积压<环节>",
            &[
                Bar {
                    label: "待受理".into(),
                    value: 10.0,
                    text: "10".into(),
                    colour: "#000",
                },
                Bar {
                    label: "a&b".into(),
                    value: 5.0,
                    text: "5".into(),
                    colour: "#000",
                },
            ],
        );
        assert!(svg.contains("<title>积压&lt;环节&gt;</title>"));
        assert!(
            svg.contains(r#"width="360.0""#) && svg.contains(r#"width="180.0""#),
            "{svg}"
        );
        assert!(svg.contains("a&amp;b"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn columns_share_the_given_scale() {
        let svg = grouped_columns(
            "按月",
            &[Group {
                label: "2026-03".into(),
                bars: vec![Bar {
                    label: String::new(),
                    value: 50.0,
                    text: "50%".into(),
                    colour: "#000",
                }],
            }],
            Some(100.0),
            &[("按期率", "#000")],
        );
        // Half of the 164-point plot height.
        assert!(svg.contains(r#"height="82.0""#), "{svg}");
        assert!(svg.contains(">50%<") && svg.contains(">2026-03<") && svg.contains(">按期率<"));
    }
}
