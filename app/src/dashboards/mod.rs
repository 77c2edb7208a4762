//! Dashboards: a user's pages of widgets, administrators' templates, and the widget catalogue.
//! A layout is parsed into [`Widget`]s on the way in (form or stored JSON), so everything past
//! the parser works with values that are known to be valid.
use crate::time::parse_date;
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::i18n::K;
use crate::sims::SimStatus;

pub mod api;
#[cfg(feature = "ssr")]
pub mod data;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod render;
pub mod ui;

/// Widgets on one dashboard at most.
pub const MAX_WIDGETS: usize = 30;
/// Dashboards of one user at most.
pub const MAX_DASHBOARDS: usize = 20;
pub const MAX_NAME: usize = 60;
pub const MAX_TITLE: usize = 60;
/// Longest custom time range, in days.
pub const MAX_CUSTOM_DAYS: i64 = 400;

code_enum! {
    /// The widget catalogue.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum WidgetKind {
        /// One figure: SIMs in a status, or data / SMS / voice this cycle with the change.
        Kpi = "kpi",
        StatusDonut = "status_donut",
        DataUsage = "data_usage",
        SmsVoice = "sms_voice",
        TopSims = "top_sims",
        Places = "places",
        IdleSims = "idle_sims",
        Allowance = "allowance",
        Notifications = "notifications",
        Journal = "journal",
    }
}

impl WidgetKind {
    pub fn name(self) -> K {
        match self {
            WidgetKind::Kpi => K::DashKindKpi,
            WidgetKind::StatusDonut => K::DashKindStatus,
            WidgetKind::DataUsage => K::DashKindData,
            WidgetKind::SmsVoice => K::DashKindSmsVoice,
            WidgetKind::TopSims => K::DashKindTop,
            WidgetKind::Places => K::DashKindPlaces,
            WidgetKind::IdleSims => K::DashKindIdle,
            WidgetKind::Allowance => K::DashKindAllowance,
            WidgetKind::Notifications => K::DashKindNotifications,
            WidgetKind::Journal => K::DashKindJournal,
        }
    }

    pub fn describe(self) -> K {
        match self {
            WidgetKind::Kpi => K::DashAboutKpi,
            WidgetKind::StatusDonut => K::DashAboutStatus,
            WidgetKind::DataUsage => K::DashAboutData,
            WidgetKind::SmsVoice => K::DashAboutSmsVoice,
            WidgetKind::TopSims => K::DashAboutTop,
            WidgetKind::Places => K::DashAboutPlaces,
            WidgetKind::IdleSims => K::DashAboutIdle,
            WidgetKind::Allowance => K::DashAboutAllowance,
            WidgetKind::Notifications => K::DashAboutNotifications,
            WidgetKind::Journal => K::DashAboutJournal,
        }
    }

    /// The metrics a widget of this kind can show; the first is its default.
    pub fn metrics(self) -> &'static [Metric] {
        use Metric::*;
        match self {
            WidgetKind::Kpi => &[
                Active,
                Data,
                Sms,
                Voice,
                Status(SimStatus::Suspended),
                Status(SimStatus::TestReady),
                Status(SimStatus::Inventory),
                Status(SimStatus::Deactivated),
                Status(SimStatus::Retired),
            ],
            WidgetKind::TopSims | WidgetKind::Allowance => &[Data, Sms, Voice],
            WidgetKind::Places => &[Country, Operator],
            _ => &[],
        }
    }

    /// Whether the time range setting applies (charts over time and the usage tiles).
    pub fn has_range(self) -> bool {
        matches!(self, WidgetKind::DataUsage | WidgetKind::SmsVoice)
    }

    pub fn has_top(self) -> bool {
        matches!(self, WidgetKind::TopSims | WidgetKind::Places | WidgetKind::Notifications | WidgetKind::Journal)
    }

    /// What `threshold` means: days without a session, or the warning share of the allowance.
    pub fn threshold(self) -> Option<(u32, u32, u32)> {
        match self {
            WidgetKind::IdleSims => Some((1, 365, 30)),
            WidgetKind::Allowance => Some((1, 100, 80)),
            _ => None,
        }
    }

    pub fn charts(self) -> &'static [Chart] {
        match self {
            WidgetKind::DataUsage => &[Chart::Area, Chart::Line, Chart::Bars],
            WidgetKind::SmsVoice => &[Chart::Bars, Chart::Line],
            WidgetKind::StatusDonut => &[Chart::Donut, Chart::Bars],
            _ => &[],
        }
    }

    /// Tiles are small: two share a row on a phone.
    pub fn default_span(self) -> u8 {
        match self {
            WidgetKind::Kpi | WidgetKind::IdleSims | WidgetKind::Allowance => 1,
            _ => 2,
        }
    }
}

/// What a widget counts or sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Active,
    Status(SimStatus),
    Data,
    Sms,
    Voice,
    Country,
    Operator,
}

impl Metric {
    pub fn code(self) -> String {
        match self {
            Metric::Active => "active".into(),
            Metric::Status(s) => format!("status:{}", s.code()),
            Metric::Data => "data".into(),
            Metric::Sms => "sms".into(),
            Metric::Voice => "voice".into(),
            Metric::Country => "country".into(),
            Metric::Operator => "operator".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Some(match s {
            "active" => Metric::Active,
            "data" => Metric::Data,
            "sms" => Metric::Sms,
            "voice" => Metric::Voice,
            "country" => Metric::Country,
            "operator" => Metric::Operator,
            _ => Metric::Status(SimStatus::parse(s.strip_prefix("status:")?)?),
        })
    }
}

code_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Chart {
        Area = "area",
        Line = "line",
        Bars = "bars",
        Donut = "donut",
    }
}

impl Chart {
    pub fn name(self) -> K {
        match self {
            Chart::Area => K::DashChartArea,
            Chart::Line => K::DashChartLine,
            Chart::Bars => K::DashChartBars,
            Chart::Donut => K::DashChartDonut,
        }
    }
}

/// The period a chart covers, in UTC days (the last 24 hours per hour for `Today`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeRange {
    Today,
    Days(u16),
    Cycle,
    Custom { from: i64, to: i64 },
}

impl TimeRange {
    /// The choices of the range switch (custom ranges are set in the widget's settings).
    pub const PRESETS: [TimeRange; 5] =
        [TimeRange::Today, TimeRange::Days(7), TimeRange::Days(30), TimeRange::Days(90), TimeRange::Cycle];

    pub fn code(self) -> String {
        match self {
            TimeRange::Today => "today".into(),
            TimeRange::Days(n) => format!("{n}d"),
            TimeRange::Cycle => "cycle".into(),
            TimeRange::Custom { from, to } => {
                format!("{}_{}", crate::time::iso_date(from), crate::time::iso_date(to))
            }
        }
    }

    pub fn parse(s: &str) -> Option<TimeRange> {
        Some(match s {
            "today" => TimeRange::Today,
            "7d" => TimeRange::Days(7),
            "30d" => TimeRange::Days(30),
            "90d" => TimeRange::Days(90),
            "cycle" => TimeRange::Cycle,
            _ => {
                let (a, b) = s.split_once('_')?;
                TimeRange::custom(parse_date(a)?, parse_date(b)?)?
            }
        })
    }

    /// A custom range, if it runs forwards and is not longer than [`MAX_CUSTOM_DAYS`].
    pub fn custom(from: i64, to: i64) -> Option<TimeRange> {
        (from <= to && to - from < MAX_CUSTOM_DAYS).then_some(TimeRange::Custom { from, to })
    }

    /// First and last day covered, for `today`.
    pub fn days(self, today: i64) -> (i64, i64) {
        match self {
            TimeRange::Today => (today, today),
            TimeRange::Days(n) => (today - i64::from(n) + 1, today),
            TimeRange::Cycle => (crate::usage::cycle_start(today), today),
            TimeRange::Custom { from, to } => (from, to),
        }
    }

    pub fn hourly(self) -> bool {
        self == TimeRange::Today
    }

    pub fn name(self) -> K {
        match self {
            TimeRange::Today => K::DashRangeToday,
            TimeRange::Days(7) => K::DashRange7,
            TimeRange::Days(30) => K::DashRange30,
            TimeRange::Days(_) => K::DashRange90,
            TimeRange::Cycle => K::DashRangeCycle,
            TimeRange::Custom { .. } => K::DashRangeCustom,
        }
    }
}

/// One widget of a layout, as stored and as edited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Widget {
    /// Unique within its dashboard, kept across moves (the page's anchors and forms use it).
    pub id: u32,
    pub kind: WidgetKind,
    /// Empty: the kind's own name.
    #[serde(default)]
    pub title: String,
    pub span: u8,
    pub range: TimeRange,
    /// A customer of the viewer's tree; `None` is the viewer's whole tree.
    #[serde(default)]
    pub scope: Option<i64>,
    #[serde(default)]
    pub metric: Option<Metric>,
    #[serde(default)]
    pub top: u8,
    #[serde(default)]
    pub threshold: u32,
    #[serde(default)]
    pub chart: Option<Chart>,
    /// Set on a template by an administrator: users cannot remove the widget.
    #[serde(default)]
    pub locked: bool,
}

impl Widget {
    /// A widget of `kind` with the kind's defaults.
    pub fn new(id: u32, kind: WidgetKind) -> Widget {
        Widget {
            id,
            kind,
            title: String::new(),
            span: kind.default_span(),
            range: TimeRange::Days(30),
            scope: None,
            metric: kind.metrics().first().copied(),
            top: if kind.has_top() { 10 } else { 0 },
            threshold: kind.threshold().map_or(0, |t| t.2),
            chart: kind.charts().first().copied(),
            locked: false,
        }
    }

    pub fn with(mut self, f: impl FnOnce(&mut Widget)) -> Widget {
        f(&mut self);
        self
    }

    /// Every rule of a stored widget; a layout that breaks one is refused whole.
    pub fn check(&self) -> Result<(), Problem> {
        let k = self.kind;
        if !(1..=4).contains(&self.span) {
            return Err(Problem::Span);
        }
        if self.title.chars().count() > MAX_TITLE || self.title.chars().any(char::is_control) {
            return Err(Problem::Title);
        }
        match self.metric {
            Some(m) if !k.metrics().contains(&m) => return Err(Problem::Metric),
            None if !k.metrics().is_empty() => return Err(Problem::Metric),
            _ => {}
        }
        match self.chart {
            Some(c) if !k.charts().contains(&c) => return Err(Problem::Chart),
            None if !k.charts().is_empty() => return Err(Problem::Chart),
            _ => {}
        }
        if k.has_top() && !(3..=25).contains(&self.top) {
            return Err(Problem::Top);
        }
        if let Some((lo, hi, _)) = k.threshold()
            && !(lo..=hi).contains(&self.threshold)
        {
            return Err(Problem::Threshold);
        }
        if let TimeRange::Custom { from, to } = self.range
            && TimeRange::custom(from, to).is_none()
        {
            return Err(Problem::Range);
        }
        if let TimeRange::Days(n) = self.range
            && ![7, 30, 90].contains(&n)
        {
            return Err(Problem::Range);
        }
        Ok(())
    }

    /// The title shown: the one given, or one that says what the widget shows.
    pub fn title_or(&self, lang: crate::i18n::Lang) -> String {
        if !self.title.is_empty() {
            return self.title.clone();
        }
        let key = match (self.kind, self.metric) {
            (WidgetKind::Kpi, Some(Metric::Active)) => K::DashMetricActive,
            (WidgetKind::Kpi, Some(Metric::Data)) => K::DashTitleData,
            (WidgetKind::Kpi, Some(Metric::Sms)) => K::DashTitleSms,
            (WidgetKind::Kpi, Some(Metric::Voice)) => K::DashTitleVoice,
            (WidgetKind::Kpi, Some(Metric::Status(s))) => {
                return lang.tf(K::DashTitleStatus, &[("status", lang.t(crate::sims::ui::status_label(s)))]);
            }
            (WidgetKind::Places, Some(Metric::Operator)) => K::DashTitleNetworks,
            (k, _) => k.name(),
        };
        lang.t(key).to_string()
    }
}

code_enum! {
    /// Why a layout or a widget setting was refused.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Problem {
        UnknownKind = "unknown_kind",
        Span = "span",
        Title = "title",
        Metric = "metric",
        Chart = "chart",
        Top = "top",
        Threshold = "threshold",
        Range = "range",
        Scope = "scope",
        TooMany = "too_many",
        /// Two widgets in one place, or one left out: a reorder that is not a permutation.
        Overlap = "overlap",
        Locked = "locked",
        Name = "name",
        TooManyDashboards = "too_many_dashboards",
        UnknownWidget = "unknown_widget",
    }
}

impl Problem {
    pub fn message(self) -> K {
        match self {
            Problem::UnknownKind => K::DashErrKind,
            Problem::Span => K::DashErrSpan,
            Problem::Title => K::DashErrTitle,
            Problem::Metric => K::DashErrMetric,
            Problem::Chart => K::DashErrChart,
            Problem::Top => K::DashErrTop,
            Problem::Threshold => K::DashErrThreshold,
            Problem::Range => K::DashErrRange,
            Problem::Scope => K::DashErrScope,
            Problem::TooMany => K::DashErrTooMany,
            Problem::Overlap => K::DashErrOverlap,
            Problem::Locked => K::DashErrLocked,
            Problem::Name => K::DashErrName,
            Problem::TooManyDashboards => K::DashErrTooManyDashboards,
            Problem::UnknownWidget => K::DashErrUnknownWidget,
        }
    }
}

/// A whole layout: at most [`MAX_WIDGETS`], ids unique, every widget valid.
pub fn check_layout(widgets: &[Widget]) -> Result<(), Problem> {
    if widgets.len() > MAX_WIDGETS {
        return Err(Problem::TooMany);
    }
    let mut ids: Vec<u32> = widgets.iter().map(|w| w.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != widgets.len() {
        return Err(Problem::Overlap);
    }
    widgets.iter().try_for_each(Widget::check)
}

/// Puts the widgets in the order `order` names (every id exactly once).
pub fn reorder(widgets: &[Widget], order: &[u32]) -> Result<Vec<Widget>, Problem> {
    if order.len() != widgets.len() {
        return Err(Problem::Overlap);
    }
    let mut out = Vec::with_capacity(widgets.len());
    for id in order {
        let w = widgets.iter().find(|w| w.id == *id).ok_or(Problem::Overlap)?;
        if out.iter().any(|o: &Widget| o.id == *id) {
            return Err(Problem::Overlap);
        }
        out.push(w.clone());
    }
    Ok(out)
}

/// A name for a dashboard: trimmed, 1–60 characters, no control characters.
pub fn parse_name(s: &str) -> Result<String, Problem> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_NAME || s.chars().any(char::is_control) {
        return Err(Problem::Name);
    }
    Ok(s.to_string())
}

/// The dashboard a user starts with when no template applies: eight widgets that answer
/// "how is my fleet doing" at a glance.
pub fn starter_layout() -> Vec<Widget> {
    use WidgetKind::*;
    vec![
        Widget::new(1, Kpi),
        Widget::new(2, Kpi).with(|w| w.metric = Some(Metric::Data)),
        Widget::new(3, Kpi).with(|w| w.metric = Some(Metric::Status(SimStatus::Suspended))),
        Widget::new(4, IdleSims),
        Widget::new(5, StatusDonut),
        Widget::new(6, DataUsage),
        Widget::new(7, TopSims),
        Widget::new(8, Places),
    ]
}

/// Auto-refresh periods offered, in minutes (0 = off).
pub const REFRESH_CHOICES: [u32; 4] = [0, 1, 5, 15];

/// What a viewer may do with a dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// The owner: everything.
    Owner,
    /// A template of the administrator's tree: everything, and locking widgets.
    TemplateAdmin,
    /// Shared with the viewer: look only.
    ReadOnly,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_layout_is_valid_and_has_eight_widgets() {
        let l = starter_layout();
        assert_eq!(l.len(), 8);
        assert_eq!(check_layout(&l), Ok(()));
    }

    #[test]
    fn layouts_with_duplicates_or_too_many_widgets_are_refused() {
        let mut l = starter_layout();
        l[1].id = 1;
        assert_eq!(check_layout(&l), Err(Problem::Overlap));
        let many: Vec<Widget> = (0..31).map(|i| Widget::new(i, WidgetKind::Kpi)).collect();
        assert_eq!(check_layout(&many), Err(Problem::TooMany));
    }

    #[test]
    fn widget_options_must_fit_the_kind() {
        let w = Widget::new(1, WidgetKind::Kpi);
        assert_eq!(w.clone().with(|w| w.metric = Some(Metric::Country)).check(), Err(Problem::Metric));
        assert_eq!(w.clone().with(|w| w.span = 5).check(), Err(Problem::Span));
        assert_eq!(Widget::new(2, WidgetKind::TopSims).with(|w| w.top = 200).check(), Err(Problem::Top));
        assert_eq!(Widget::new(3, WidgetKind::IdleSims).with(|w| w.threshold = 0).check(), Err(Problem::Threshold));
        assert_eq!(
            Widget::new(4, WidgetKind::DataUsage).with(|w| w.chart = Some(Chart::Donut)).check(),
            Err(Problem::Chart)
        );
        assert_eq!(
            Widget::new(5, WidgetKind::DataUsage).with(|w| w.range = TimeRange::Days(12)).check(),
            Err(Problem::Range)
        );
    }

    #[test]
    fn reorder_needs_every_widget_once() {
        let l = starter_layout();
        let order: Vec<u32> = (1..=8).rev().collect();
        assert_eq!(reorder(&l, &order).unwrap()[0].id, 8);
        assert_eq!(reorder(&l, &[1, 1, 2, 3, 4, 5, 6, 7]), Err(Problem::Overlap));
        assert_eq!(reorder(&l, &[1, 2, 3]), Err(Problem::Overlap));
        assert_eq!(reorder(&l, &[1, 2, 3, 4, 5, 6, 7, 99]), Err(Problem::Overlap));
    }

    #[test]
    fn ranges_and_dates_parse() {
        for r in TimeRange::PRESETS {
            assert_eq!(TimeRange::parse(&r.code()), Some(r));
        }
        let c = TimeRange::parse("2026-10-01_2026-10-31").unwrap();
        assert_eq!(c.days(0).1 - c.days(0).0, 30);
        assert_eq!(TimeRange::parse("2026-10-31_2026-10-01"), None, "backwards");
        assert_eq!(TimeRange::parse("2020-01-01_2026-01-01"), None, "too long");
        assert_eq!(parse_date("2026-02-31"), None);
        assert_eq!(TimeRange::parse("12d"), None);
    }

    #[test]
    fn metrics_round_trip() {
        for k in WidgetKind::ALL {
            for m in k.metrics() {
                assert_eq!(Metric::parse(&m.code()), Some(*m));
            }
            assert_eq!(WidgetKind::parse(k.code()), Some(k));
        }
        assert_eq!(Metric::parse("status:bogus"), None);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Fleet  "), Ok("Fleet".into()));
        assert_eq!(parse_name(""), Err(Problem::Name));
        assert_eq!(parse_name(&"x".repeat(61)), Err(Problem::Name));
        assert_eq!(parse_name("a\u{7}b"), Err(Problem::Name));
    }
}
