//! Bar charts drawn on the server as SVG: no chart library reaches the browser, and the
//! picture is there before any script runs.

use crate::util::escape_html;

/// A round number at or above `v` (1, 2, 5 × 10ⁿ), so axis labels read well.
pub fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// One bar per day from `first_day` to `last_day` (days without a value are zero). `fmt`
/// writes a value for the axis; `label` is the accessible name of the picture.
pub fn daily_bars(
    values: &[(i64, f64)],
    first_day: i64,
    last_day: i64,
    fmt: &dyn Fn(f64) -> String,
    label: &str,
) -> String {
    let days = (last_day - first_day + 1).max(1) as usize;
    let mut per_day = vec![0.0f64; days];
    for (d, v) in values {
        if *d >= first_day && *d <= last_day {
            per_day[(*d - first_day) as usize] += v;
        }
    }
    let max = per_day.iter().cloned().fold(0.0, f64::max);
    let top = nice_ceiling(max);
    let (w, h, left, bottom, top_pad) = (720.0, 180.0, 64.0, 22.0, 8.0);
    let plot_w = w - left - 4.0;
    let plot_h = h - bottom - top_pad;
    let bar_w = plot_w / days as f64;
    let mut s = String::with_capacity(days * 90 + 800);
    s.push_str(&format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        escape_html(label)
    ));
    for (frac, text) in [(0.0, fmt(0.0)), (0.5, fmt(top / 2.0)), (1.0, fmt(top))] {
        let y = top_pad + plot_h * (1.0 - frac);
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{w}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + 4.0,
            escape_html(&text)
        ));
    }
    for (i, v) in per_day.iter().enumerate() {
        if *v <= 0.0 {
            continue;
        }
        let bh = (v / top * plot_h).max(1.0);
        let x = left + i as f64 * bar_w + bar_w * 0.1;
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" class=\"bar\"><title>{} {}</title></rect>",
            top_pad + plot_h - bh,
            (bar_w * 0.8).max(1.0),
            crate::time::iso_date(first_day + i as i64),
            escape_html(&fmt(*v))
        ));
    }
    for (day, anchor, x) in [(first_day, "start", left), (last_day, "end", w - 2.0)] {
        s.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"{anchor}\">{}</text>",
            h - 6.0,
            crate::time::iso_date(day)
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.3), 10.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(4_900_000.0), 5_000_000.0);
    }

    #[test]
    fn one_bar_per_active_day_and_labels_escaped() {
        let svg = daily_bars(&[(10, 5.0), (12, 10.0), (99, 1.0)], 10, 39, &|v| format!("{v}"), "a<b");
        assert_eq!(svg.matches("<rect").count(), 2, "days outside the period are left out");
        assert!(svg.contains("aria-label=\"a&lt;b\""));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
