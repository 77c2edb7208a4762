//! Widget bodies drawn on the server as HTML and SVG text: no chart library reaches the
//! browser, the picture is complete before any script runs, and the same text serves the page
//! and the snapshot tests. Every chart carries a text alternative (a table or a sentence), and
//! every figure links to the SIM list that explains it. Marks that the browser glue enhances
//! carry `data-tip` (tooltip text) and `data-series` (legend toggles).
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Chart, TimeRange, Widget, WidgetKind};
use crate::i18n::{K, Lang};
use crate::sims::SimStatus;
use crate::sims::model::Count;
use crate::sims::ui::chart::nice_ceiling;
use crate::sims::ui::{format_bytes, group, status_label};
use crate::time::iso_date;
use crate::usage::rollups::Usage;
use crate::util::escape_html;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    Sims,
    Bytes,
    Messages,
    Seconds,
}

impl Unit {
    pub fn format(self, v: i64) -> String {
        match self {
            Unit::Bytes => format_bytes(v),
            Unit::Seconds => format!("{} min", group((v + 30) / 60)),
            Unit::Sims | Unit::Messages => group(v),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopRow {
    pub iccid: String,
    pub label: String,
    pub value: i64,
    pub href: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub label: String,
    pub n: i64,
    pub href: String,
}

/// What a widget shows, already read and scoped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WidgetData {
    Figure { value: i64, unit: Unit, previous: Option<i64>, href: String },
    Statuses { counts: Vec<(SimStatus, i64)>, hrefs: Vec<String>, href: String },
    Series { hourly: bool, first: i64, last: i64, points: Vec<(i64, Usage)>, range: TimeRange },
    Top { unit: Unit, rows: Vec<TopRow>, href: String },
    Places { rows: Vec<Place>, other: i64 },
    Idle { count: Count, days: u32, href: String },
    Gauge { unit: Unit, used: i64, allowance: i64, warn: u32, href: String },
    Notifications { rows: Vec<super::db::NotificationRow>, unread: i64 },
    Journal { rows: Vec<super::db::JournalRow> },
    Unavailable(Why),
}

/// Why a widget shows a note instead of figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    OutOfScope,
    NotForRole,
    Metric,
}

impl Why {
    fn text(self) -> K {
        match self {
            Why::OutOfScope => K::DashOutOfScope,
            Why::NotForRole => K::DashNotForRole,
            Why::Metric => K::DashErrMetric,
        }
    }
}

/// Colours of the status donut, one class per status (the stylesheet holds the colours).
fn status_class(s: SimStatus) -> &'static str {
    s.code()
}

/// The body of a widget.
pub fn body(lang: Lang, w: &Widget, d: &WidgetData) -> String {
    let mut s = String::with_capacity(2048);
    match d {
        WidgetData::Unavailable(why) => {
            let _ = write!(s, "<p class=\"widget-note\">{}</p>", escape_html(lang.t(why.text())));
        }
        WidgetData::Figure { value, unit, previous, href } => figure(&mut s, lang, *value, *unit, *previous, href),
        WidgetData::Statuses { counts, hrefs, href } => statuses(&mut s, lang, w, counts, hrefs, href),
        WidgetData::Series { hourly, first, last, points, range } => {
            series(&mut s, lang, w, *hourly, *first, *last, points, *range)
        }
        WidgetData::Top { unit, rows, href } => top(&mut s, lang, *unit, rows, href),
        WidgetData::Places { rows, other } => places(&mut s, lang, rows, *other),
        WidgetData::Idle { count, days, href } => {
            let n = match count {
                Count::Exact(n) => group(*n),
                Count::About(n) => format!("≈ {}", group(*n)),
                Count::AtLeast(n) => format!("> {}", group(*n)),
            };
            let _ = write!(
                s,
                "<p class=\"kpi\"><a class=\"kpi-value\" href=\"{}\">{n}</a></p><p class=\"kpi-caption\">{}</p>",
                escape_html(href),
                escape_html(&lang.tf(K::DashIdleCaption, &[("days", &days.to_string())]))
            );
        }
        WidgetData::Gauge { unit, used, allowance, warn, href } => {
            gauge(&mut s, lang, *unit, *used, *allowance, *warn, href)
        }
        WidgetData::Notifications { rows, unread } => {
            let _ = write!(
                s,
                "<p class=\"widget-sub\"><a href=\"{}\">{}</a></p>",
                crate::routes::NOTIFICATIONS,
                escape_html(&lang.tf(K::DashUnread, &[("n", &group(*unread))]))
            );
            if rows.is_empty() {
                let _ = write!(s, "<p class=\"widget-note\">{}</p>", escape_html(lang.t(K::DashNothingYet)));
            } else {
                s.push_str("<ul class=\"widget-list\">");
                for r in rows {
                    let text = match r.sim_id {
                        Some(id) => {
                            format!("<a href=\"{}\">{}</a>", crate::routes::sim_page(id), escape_html(&r.message))
                        }
                        None => escape_html(&r.message),
                    };
                    let _ = write!(
                        s,
                        "<li class=\"{}\"><span>{text}</span> <time>{}</time></li>",
                        if r.read { "read" } else { "unread" },
                        crate::time::local(r.at)
                    );
                }
                s.push_str("</ul>");
            }
        }
        WidgetData::Journal { rows } => {
            if rows.is_empty() {
                let _ = write!(s, "<p class=\"widget-note\">{}</p>", escape_html(lang.t(K::DashNothingYet)));
            } else {
                s.push_str("<ul class=\"widget-list\">");
                for r in rows {
                    let _ = write!(
                        s,
                        "<li><span><b>{}</b> {} <code>{}</code></span> <time>{}</time></li>",
                        escape_html(&r.actor),
                        escape_html(&r.action),
                        escape_html(&r.target),
                        crate::time::local(r.at)
                    );
                }
                s.push_str("</ul>");
            }
        }
    }
    s
}

fn figure(s: &mut String, lang: Lang, value: i64, unit: Unit, previous: Option<i64>, href: &str) {
    let _ = write!(
        s,
        "<p class=\"kpi\"><a class=\"kpi-value\" href=\"{}\">{}</a></p>",
        escape_html(href),
        escape_html(&unit.format(value))
    );
    if let Some(p) = previous {
        let (class, text) = if p == 0 {
            ("flat", lang.t(K::DashNoPrevious).to_string())
        } else {
            let pct = (value - p) as f64 * 100.0 / p as f64;
            let arrow = if pct > 0.5 {
                "▲"
            } else if pct < -0.5 {
                "▼"
            } else {
                "="
            };
            let class = if pct > 0.5 {
                "up"
            } else if pct < -0.5 {
                "down"
            } else {
                "flat"
            };
            (class, lang.tf(K::DashChange, &[("arrow", arrow), ("pct", &format!("{:+.0}", pct))]))
        };
        let _ = write!(s, "<p class=\"kpi-change {class}\">{}</p>", escape_html(&text));
    } else {
        let _ = write!(s, "<p class=\"kpi-caption\">{}</p>", escape_html(lang.t(K::DashSimsCaption)));
    }
}

fn statuses(s: &mut String, lang: Lang, w: &Widget, counts: &[(SimStatus, i64)], hrefs: &[String], href: &str) {
    let total: i64 = counts.iter().map(|c| c.1).sum();
    let label = lang.tf(K::DashStatusAlt, &[("n", &group(total))]);
    if w.chart == Some(Chart::Bars) {
        let rows: Vec<Place> = counts
            .iter()
            .zip(hrefs)
            .map(|((st, n), h)| Place { label: lang.t(status_label(*st)).to_string(), n: *n, href: h.clone() })
            .collect();
        places(s, lang, &rows, 0);
        return;
    }
    // A donut from stroked circles: each status is an arc of the ring, its length its share.
    let _ = write!(
        s,
        "<div class=\"donut-wrap\"><svg class=\"donut\" viewBox=\"0 0 42 42\" role=\"img\" aria-label=\"{}\">\
         <circle class=\"ring\" cx=\"21\" cy=\"21\" r=\"15.915\"/>",
        escape_html(&label)
    );
    let mut offset = 25.0f64;
    for (st, n) in counts.iter().filter(|c| c.1 > 0) {
        let pct = *n as f64 * 100.0 / total.max(1) as f64;
        let tip = format!("{}: {} ({:.1} %)", lang.t(status_label(*st)), group(*n), pct);
        let _ = write!(
            s,
            "<circle class=\"arc s-{}\" data-series=\"{}\" data-tip=\"{}\" cx=\"21\" cy=\"21\" r=\"15.915\" \
             stroke-dasharray=\"{pct:.2} {:.2}\" stroke-dashoffset=\"{offset:.2}\"><title>{}</title></circle>",
            status_class(*st),
            st.code(),
            escape_html(&tip),
            100.0 - pct,
            escape_html(&tip)
        );
        offset -= pct;
    }
    let _ = write!(
        s,
        "<text x=\"21\" y=\"21\" class=\"donut-total\" text-anchor=\"middle\">{}</text>\
         <text x=\"21\" y=\"26.5\" class=\"donut-caption\" text-anchor=\"middle\">{}</text></svg>",
        group(total),
        escape_html(lang.t(K::DashSimsCaption))
    );
    // The legend is the text alternative: every status with its count, each a link to the list.
    let _ = write!(s, "<ul class=\"legend\" aria-label=\"{}\">", escape_html(lang.t(K::DashLegend)));
    for ((st, n), h) in counts.iter().zip(hrefs) {
        let name = lang.t(status_label(*st));
        let _ = write!(
            s,
            "<li><button type=\"button\" class=\"legend-toggle s-{}\" data-series=\"{}\" aria-pressed=\"true\" \
             title=\"{}\"><span class=\"swatch\"></span><span class=\"visually-hidden\">{}</span></button>\
             <a href=\"{}\">{}: <b>{}</b></a></li>",
            status_class(*st),
            st.code(),
            escape_html(&lang.tf(K::DashToggle, &[("name", name)])),
            escape_html(&lang.tf(K::DashToggle, &[("name", name)])),
            escape_html(h),
            escape_html(name),
            group(*n)
        );
    }
    let _ = write!(
        s,
        "</ul></div><p class=\"widget-foot\"><a href=\"{}\">{}</a></p>",
        escape_html(href),
        escape_html(lang.t(K::DashOpenList))
    );
}

/// One series of a chart: its key, name, unit and the value it takes from a bucket.
type Series = (&'static str, K, Unit, fn(&Usage) -> i64);

/// The x position and label of bucket `i`.
fn bucket_label(hourly: bool, bucket: i64) -> String {
    if hourly { format!("{}:00", bucket.rem_euclid(24)) } else { iso_date(bucket) }
}

#[allow(clippy::too_many_arguments)]
fn series(
    s: &mut String,
    lang: Lang,
    w: &Widget,
    hourly: bool,
    first: i64,
    last: i64,
    points: &[(i64, Usage)],
    range: TimeRange,
) {
    let n = (last - first + 1).clamp(1, 10_000) as usize;
    let pick: Vec<Series> = if w.kind == WidgetKind::DataUsage {
        vec![("data", K::DashSeriesData, Unit::Bytes, |u| u.data_bytes)]
    } else {
        vec![
            ("sms", K::DashSeriesSms, Unit::Messages, |u| u.sms),
            ("voice", K::DashSeriesVoice, Unit::Seconds, |u| u.voice_seconds),
        ]
    };
    let chart = w.chart.unwrap_or(Chart::Area);
    let (wd, ht, left, bottom, top_pad) = (640.0, 200.0, 70.0, 22.0, 10.0);
    let plot_w = wd - left - 6.0;
    let plot_h = ht - bottom - top_pad;
    let step = plot_w / n as f64;
    let period = lang.t(range.name());
    for (key, name, unit, get) in &pick {
        let mut vals = vec![0i64; n];
        for (b, u) in points {
            if *b >= first && *b <= last {
                vals[(*b - first) as usize] += get(u);
            }
        }
        let total: i64 = vals.iter().sum();
        let max = vals.iter().copied().max().unwrap_or(0);
        let top = nice_ceiling(max as f64);
        let alt = lang.tf(
            K::DashSeriesAlt,
            &[("name", lang.t(*name)), ("period", period), ("total", &unit.format(total)), ("max", &unit.format(max))],
        );
        let _ = write!(
            s,
            "<figure class=\"series\" data-series=\"{key}\"><figcaption>{}: <b>{}</b></figcaption>\
             <svg class=\"chart {}\" viewBox=\"0 0 {wd} {ht}\" role=\"img\" aria-label=\"{}\">",
            escape_html(lang.t(*name)),
            escape_html(&unit.format(total)),
            chart.code(),
            escape_html(&alt)
        );
        for (frac, v) in [(0.0, 0.0), (0.5, top / 2.0), (1.0, top)] {
            let y = top_pad + plot_h * (1.0 - frac);
            let _ = write!(
                s,
                "<line x1=\"{left}\" x2=\"{wd}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
                left - 6.0,
                y + 4.0,
                escape_html(&unit.format(v as i64))
            );
        }
        let y_of = |v: i64| top_pad + plot_h * (1.0 - v as f64 / top);
        let x_of = |i: usize| left + step * (i as f64 + 0.5);
        match chart {
            Chart::Bars => {
                for (i, v) in vals.iter().enumerate().filter(|(_, v)| **v > 0) {
                    let h = (plot_h - (y_of(*v) - top_pad)).max(1.0);
                    let _ = write!(
                        s,
                        "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"/>",
                        left + step * i as f64 + step * 0.1,
                        top_pad + plot_h - h,
                        (step * 0.8).max(1.0)
                    );
                }
            }
            _ => {
                let mut d = String::with_capacity(n * 16);
                for (i, v) in vals.iter().enumerate() {
                    let _ = write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x_of(i), y_of(*v));
                }
                if chart == Chart::Area {
                    let _ = write!(
                        s,
                        "<path class=\"area\" d=\"{d} L{:.1},{:.1} L{:.1},{:.1} Z\"/>",
                        x_of(n - 1),
                        top_pad + plot_h,
                        x_of(0),
                        top_pad + plot_h
                    );
                }
                let _ = write!(s, "<path class=\"line\" d=\"{d}\"/>");
            }
        }
        // Invisible columns over every bucket carry the tooltip (and a native title without script).
        for (i, v) in vals.iter().enumerate() {
            let tip = format!("{}: {}", bucket_label(hourly, first + i as i64), unit.format(*v));
            let _ = write!(
                s,
                "<rect class=\"hit\" x=\"{:.1}\" y=\"{top_pad}\" width=\"{step:.2}\" height=\"{plot_h}\" data-tip=\"{}\"><title>{}</title></rect>",
                left + step * i as f64,
                escape_html(&tip),
                escape_html(&tip)
            );
        }
        for (b, anchor, x) in [(first, "start", left), (last, "end", wd - 2.0)] {
            let _ = write!(
                s,
                "<text x=\"{x:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"{anchor}\">{}</text>",
                ht - 6.0,
                bucket_label(hourly, b)
            );
        }
        s.push_str("</svg>");
        // The same figures as a table, for screen readers and anyone who wants the numbers.
        let _ = write!(
            s,
            "<details class=\"chart-table\"><summary>{}</summary><table><thead><tr><th scope=\"col\">{}</th>\
             <th scope=\"col\">{}</th></tr></thead><tbody>",
            escape_html(lang.t(K::DashShowTable)),
            escape_html(lang.t(if hourly { K::DashHour } else { K::DashDay })),
            escape_html(lang.t(*name))
        );
        for (i, v) in vals.iter().enumerate().filter(|(_, v)| **v > 0) {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td></tr>",
                bucket_label(hourly, first + i as i64),
                escape_html(&unit.format(*v))
            );
        }
        s.push_str("</tbody></table></details></figure>");
    }
    if pick.len() > 1 {
        let _ = write!(s, "<ul class=\"legend\" aria-label=\"{}\">", escape_html(lang.t(K::DashLegend)));
        for (key, name, _, _) in &pick {
            let toggle = lang.tf(K::DashToggle, &[("name", lang.t(*name))]);
            let _ = write!(
                s,
                "<li><button type=\"button\" class=\"legend-toggle s-{key}\" data-series=\"{key}\" aria-pressed=\"true\" \
                 title=\"{}\"><span class=\"swatch\"></span><span>{}</span></button></li>",
                escape_html(&toggle),
                escape_html(lang.t(*name))
            );
        }
        s.push_str("</ul>");
    }
}

fn top(s: &mut String, lang: Lang, unit: Unit, rows: &[TopRow], href: &str) {
    if rows.is_empty() {
        let _ = write!(s, "<p class=\"widget-note\">{}</p>", escape_html(lang.t(K::DashNothingYet)));
    } else {
        let _ = write!(
            s,
            "<table class=\"top\"><thead><tr><th scope=\"col\">ICCID</th><th scope=\"col\">{}</th>\
             <th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
            escape_html(lang.t(K::DashLabel)),
            escape_html(lang.t(K::DashThisCycle))
        );
        for r in rows {
            let _ = write!(
                s,
                "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td></tr>",
                escape_html(&r.href),
                escape_html(&r.iccid),
                escape_html(&r.label),
                escape_html(&unit.format(r.value))
            );
        }
        s.push_str("</tbody></table>");
    }
    let _ = write!(
        s,
        "<p class=\"widget-foot\"><a href=\"{}\">{}</a></p>",
        escape_html(href),
        escape_html(lang.t(K::DashOpenList))
    );
}

/// Horizontal bars, one row per place, each a link to the SIMs it counts.
fn places(s: &mut String, lang: Lang, rows: &[Place], other: i64) {
    if rows.is_empty() {
        let _ = write!(s, "<p class=\"widget-note\">{}</p>", escape_html(lang.t(K::DashNothingYet)));
        return;
    }
    let max = rows.iter().map(|r| r.n).max().unwrap_or(1).max(1);
    let row_h = 24.0;
    let h = row_h * rows.len() as f64;
    let _ = write!(
        s,
        "<svg class=\"hbars\" viewBox=\"0 0 400 {h}\" role=\"group\" aria-label=\"{}\">",
        escape_html(lang.t(K::DashLegend))
    );
    for (i, r) in rows.iter().enumerate() {
        let y = row_h * i as f64;
        let w = (r.n as f64 / max as f64 * 250.0).max(1.0);
        let text = format!("{}: {}", r.label, group(r.n));
        let _ = write!(
            s,
            "<a href=\"{}\" aria-label=\"{}\"><text x=\"0\" y=\"{:.1}\" class=\"axis\">{}</text>\
             <rect class=\"bar\" x=\"80\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" data-tip=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"value\">{}</text></a>",
            escape_html(&r.href),
            escape_html(&text),
            y + 16.0,
            escape_html(&r.label),
            y + 4.0,
            row_h - 8.0,
            escape_html(&text),
            86.0 + w,
            y + 16.0,
            group(r.n)
        );
    }
    s.push_str("</svg>");
    if other > 0 {
        let _ =
            write!(s, "<p class=\"widget-sub\">{}</p>", escape_html(&lang.tf(K::DashOther, &[("n", &group(other))])));
    }
}

#[allow(clippy::too_many_arguments)]
fn gauge(s: &mut String, lang: Lang, unit: Unit, used: i64, allowance: i64, warn: u32, href: &str) {
    if allowance <= 0 {
        let _ = write!(s, "<p class=\"widget-note\">{}</p>", escape_html(lang.t(K::DashNoAllowance)));
        return;
    }
    let pct = used as f64 * 100.0 / allowance as f64;
    let class = if pct >= 100.0 {
        "over"
    } else if pct >= f64::from(warn) {
        "warn"
    } else {
        "ok"
    };
    // A half ring: the arc's length is the share used (capped at the full half).
    let shown = pct.min(100.0);
    let alt = lang.tf(
        K::DashGaugeAlt,
        &[("used", &unit.format(used)), ("allowance", &unit.format(allowance)), ("pct", &format!("{pct:.0}"))],
    );
    let _ = write!(
        s,
        "<svg class=\"gauge {class}\" viewBox=\"0 0 100 56\" role=\"img\" aria-label=\"{}\">\
         <path class=\"track\" d=\"M10,50 A40,40 0 0 1 90,50\" pathLength=\"100\"/>\
         <path class=\"fill\" d=\"M10,50 A40,40 0 0 1 90,50\" pathLength=\"100\" stroke-dasharray=\"{shown:.1} 100\"/>\
         <text x=\"50\" y=\"46\" text-anchor=\"middle\" class=\"gauge-pct\">{pct:.0} %</text></svg>\
         <p class=\"kpi-caption\"><a href=\"{}\">{}</a></p>",
        escape_html(&alt),
        escape_html(href),
        escape_html(&alt)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboards::{Metric, TimeRange, Widget, WidgetKind};

    /// Compares with the stored snapshot; `UPDATE_SNAPSHOTS=1` writes it instead.
    fn snapshot(name: &str, got: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dashboards/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, got).unwrap();
            return;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("no snapshot {name}: run with UPDATE_SNAPSHOTS=1 and review it"));
        assert_eq!(got, want, "snapshot {name} differs (UPDATE_SNAPSHOTS=1 rewrites it)");
    }

    fn usage(data: i64, sms: i64, voice: i64) -> Usage {
        Usage { data_bytes: data, sms, voice_seconds: voice, sessions: 1 }
    }

    #[test]
    fn data_usage_area_chart_snapshot() {
        let w = Widget::new(1, WidgetKind::DataUsage).with(|w| w.range = TimeRange::Days(7));
        let d = WidgetData::Series {
            hourly: false,
            first: 20_400,
            last: 20_406,
            points: vec![
                (20_400, usage(5_000_000, 0, 0)),
                (20_403, usage(12_500_000, 0, 0)),
                (20_406, usage(900_000, 0, 0)),
            ],
            range: TimeRange::Days(7),
        };
        let html = body(Lang::En, &w, &d);
        assert_eq!(html.matches("class=\"hit\"").count(), 7, "one tooltip column per day");
        assert!(html.contains("<details class=\"chart-table\">"), "a table for screen readers");
        snapshot("data_usage_area.svg.html", &html);
    }

    #[test]
    fn sms_voice_bars_snapshot() {
        let w = Widget::new(2, WidgetKind::SmsVoice).with(|w| w.range = TimeRange::Today);
        let d = WidgetData::Series {
            hourly: true,
            first: 489_600,
            last: 489_605,
            points: vec![(489_601, usage(0, 3, 120)), (489_604, usage(0, 1, 600))],
            range: TimeRange::Today,
        };
        let html = body(Lang::Es, &w, &d);
        assert_eq!(html.matches("data-series=\"sms\"").count(), 2, "figure and legend toggle");
        snapshot("sms_voice_bars.svg.html", &html);
    }

    #[test]
    fn status_donut_snapshot() {
        let w = Widget::new(3, WidgetKind::StatusDonut);
        let counts = vec![
            (SimStatus::Inventory, 0),
            (SimStatus::TestReady, 5),
            (SimStatus::Activated, 780),
            (SimStatus::Suspended, 50),
            (SimStatus::Deactivated, 110),
            (SimStatus::Retired, 30),
        ];
        let hrefs = counts.iter().map(|(s, _)| format!("/sims?status={}", s.code())).collect();
        let d = WidgetData::Statuses { counts, hrefs, href: "/sims".into() };
        let html = body(Lang::En, &w, &d);
        assert_eq!(html.matches("class=\"arc ").count(), 5, "no arc for an empty status");
        assert!(html.contains("<a href=\"/sims?status=suspended\">Suspended: <b>50</b></a>"), "{html}");
        snapshot("status_donut.svg.html", &html);
    }

    #[test]
    fn places_gauge_and_tiles_snapshot() {
        let p = Widget::new(4, WidgetKind::Places);
        let d = WidgetData::Places {
            rows: vec![
                Place { label: "DE".into(), n: 1234, href: "/sims?country=DE".into() },
                Place { label: "IT".into(), n: 456, href: "/sims?country=IT".into() },
            ],
            other: 7,
        };
        let mut html = body(Lang::En, &p, &d);
        let g = Widget::new(5, WidgetKind::Allowance).with(|w| w.metric = Some(Metric::Data));
        let d = WidgetData::Gauge {
            unit: Unit::Bytes,
            used: 850_000_000,
            allowance: 1_000_000_000,
            warn: 80,
            href: "/sims".into(),
        };
        let gauge = body(Lang::En, &g, &d);
        assert!(gauge.contains("gauge warn"), "85 % is past the 80 % warning");
        html.push_str(&gauge);
        let k = Widget::new(6, WidgetKind::Kpi).with(|w| w.metric = Some(Metric::Data));
        let d = WidgetData::Figure {
            value: 2_500_000_000,
            unit: Unit::Bytes,
            previous: Some(2_000_000_000),
            href: "/sims?sort=data&dir=desc".into(),
        };
        let tile = body(Lang::It, &k, &d);
        assert!(tile.contains("▲") && tile.contains("+25"), "{tile}");
        html.push_str(&tile);
        snapshot("places_gauge_tile.html", &html);
    }

    #[test]
    fn text_from_the_database_is_escaped() {
        let w = Widget::new(7, WidgetKind::TopSims);
        let d = WidgetData::Top {
            unit: Unit::Bytes,
            rows: vec![TopRow {
                iccid: "8988".into(),
                label: "<script>x</script>".into(),
                value: 1,
                href: "/sims/1".into(),
            }],
            href: "/sims".into(),
        };
        let html = body(Lang::En, &w, &d);
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    }
}
