//! The console's building blocks, so every page draws a form field, a filter bar, a list and a
//! POST button the same way: `CsrfField`, `Input` (a labelled input with its hint and problem),
//! `Check`, `Select`, `FilterForm`, `Listing` + `Table` + `ListPage`, `ConfirmButton` and
//! `alert`. They render markup only; what a page shows and what its handler does stay in the
//! page's module. Everything spliced is escaped by maud.

use std::borrow::Cow;

use maud::{Markup, Render, html};

use super::list::{self, Paging};
use crate::web::text::Bi;

/// The first option of a filter's select: any value.
pub const ALL: Bi = Bi("全部", "all");
/// The button of a list's filter bar.
pub const FILTER: Bi = Bi("筛选", "Filter");

/// The hidden field every state-changing console form carries (`guard::CsrfForm` checks it).
#[derive(Debug, Clone, Copy)]
pub struct CsrfField<'a>(pub &'a str);

impl Render for CsrfField<'_> {
    fn render(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.0); }
    }
}

/// A problem with a whole form, shown where the form starts.
pub fn alert(message: Option<impl Render>) -> Markup {
    html! { @if let Some(m) = message { p.error role="alert" { (m) } } }
}

/// What every labelled control has: its name, element id (the name unless set), label, hint
/// and the problem with its value. The hint and problem are shown under the control and named
/// by its `aria-describedby`; a problem also marks it `aria-invalid`.
#[derive(Debug, Clone)]
struct Labelled<'a> {
    name: Cow<'a, str>,
    id: Option<String>,
    label: Bi,
    hint: Option<Bi>,
    problem: Option<Markup>,
    required: bool,
}

impl<'a> Labelled<'a> {
    fn new(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Labelled {
            name: name.into(),
            id: None,
            label,
            hint: None,
            problem: None,
            required: false,
        }
    }

    fn id(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
    }

    /// Puts the control in a filter bar: its id gets the prefix `f-`; returns the name and
    /// current `value`, which the list's pager and sort links keep.
    fn in_filter(&mut self, value: &str) -> (String, String) {
        self.id = Some(format!("f-{}", self.id()));
        (self.name.to_string(), value.to_string())
    }

    fn described_by(&self) -> Option<String> {
        let id = self.id();
        let ids: Vec<String> = [(self.hint.is_some(), "hint"), (self.problem.is_some(), "problem")]
            .into_iter()
            .filter(|(shown, _)| *shown)
            .map(|(_, part)| format!("{id}-{part}"))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn invalid(&self) -> Option<&'static str> {
        self.problem.as_ref().map(|_| "true")
    }

    /// The hint and the problem, with the ids `described_by` names.
    fn notes(&self) -> Markup {
        let id = self.id();
        html! {
            @if let Some(hint) = self.hint { p.muted id=(format!("{id}-hint")) { (hint) } }
            @if let Some(problem) = &self.problem {
                p.error role="alert" id=(format!("{id}-problem")) { (problem) }
            }
        }
    }
}

/// The builder steps every labelled control shares (they set its `Labelled` part).
macro_rules! labelled_steps {
    () => {
        /// The element id, when the name is not unique on the page.
        pub fn id(mut self, id: impl Into<String>) -> Self {
            self.base.id = Some(id.into());
            self
        }

        pub fn hint(mut self, hint: Bi) -> Self {
            self.base.hint = Some(hint);
            self
        }

        /// What is wrong with the value, if anything.
        pub fn problem(mut self, problem: Option<impl Render>) -> Self {
            self.base.problem = problem.map(|p| p.render());
            self
        }

        pub fn required(mut self) -> Self {
            self.base.required = true;
            self
        }
    };
}

/// What an `Input` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Date,
    Email,
    Password,
    File,
    /// A multi-line text with this many rows.
    Textarea(u8),
}

impl Kind {
    fn input_type(self) -> &'static str {
        match self {
            Kind::Text | Kind::Textarea(_) => "text",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::Email => "email",
            Kind::Password => "password",
            Kind::File => "file",
        }
    }
}

/// A labelled input (or textarea) with its hint and problem; see `Labelled`.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    base: Labelled<'a>,
    kind: Kind,
    value: Cow<'a, str>,
    autofocus: bool,
    /// "false" for codes and definitions, where a spell checker only gets in the way.
    spellcheck: Option<&'static str>,
    range: Option<(i64, i64)>,
    maxlength: Option<usize>,
    minlength: Option<usize>,
    size: Option<u16>,
    inputmode: Option<&'static str>,
    autocomplete: Option<&'static str>,
    placeholder: Option<&'static str>,
    accept: Option<&'static str>,
}

/// Builder steps that set one optional attribute each.
macro_rules! attribute_steps {
    ($($(#[$doc:meta])* $name:ident: $type:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $type) -> Self {
                self.$name = Some(value);
                self
            }
        )*
    };
}

impl<'a> Input<'a> {
    pub fn new(kind: Kind, name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Input {
            base: Labelled::new(name, label),
            kind,
            value: Cow::Borrowed(""),
            autofocus: false,
            spellcheck: None,
            range: None,
            maxlength: None,
            minlength: None,
            size: None,
            inputmode: None,
            autocomplete: None,
            placeholder: None,
            accept: None,
        }
    }

    pub fn text(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Input::new(Kind::Text, name, label)
    }

    /// A whole number from `min` to `max`.
    pub fn number(name: impl Into<Cow<'a, str>>, label: Bi, min: i64, max: i64) -> Self {
        Input {
            range: Some((min, max)),
            ..Input::new(Kind::Number, name, label)
        }
    }

    pub fn date(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Input::new(Kind::Date, name, label)
    }

    pub fn email(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Input::new(Kind::Email, name, label)
    }

    pub fn password(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Input::new(Kind::Password, name, label)
    }

    pub fn file(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Input::new(Kind::File, name, label)
    }

    pub fn textarea(name: impl Into<Cow<'a, str>>, label: Bi, rows: u8) -> Self {
        Input::new(Kind::Textarea(rows), name, label)
    }

    labelled_steps!();

    attribute_steps! {
        maxlength: usize,
        minlength: usize,
        size: u16,
        autocomplete: &'static str,
        placeholder: &'static str,
        /// The file types a file field offers.
        accept: &'static str,
    }

    pub fn value(mut self, value: impl Into<Cow<'a, str>>) -> Self {
        self.value = value.into();
        self
    }

    pub fn autofocus(mut self) -> Self {
        self.autofocus = true;
        self
    }

    /// Digits typed into a text field (a phone shows its number pad).
    pub fn numeric(mut self) -> Self {
        self.inputmode = Some("numeric");
        self
    }
}

impl Render for Input<'_> {
    fn render(&self) -> Markup {
        let base = &self.base;
        let (id, described, invalid) = (base.id(), base.described_by(), base.invalid());
        let (min, max, step) = match self.range {
            Some((min, max)) => (Some(min), Some(max), Some(1)),
            None => (None, None, None),
        };
        // A browser never gets a password or a file back.
        let value = (!matches!(self.kind, Kind::Password | Kind::File)).then_some(&*self.value);
        html! {
            label for=(id) { (base.label) }
            @if let Kind::Textarea(rows) = self.kind {
                textarea id=(id) name=(base.name) rows=(rows) maxlength=[self.maxlength]
                    spellcheck=[self.spellcheck] required[base.required]
                    aria-describedby=[described] aria-invalid=[invalid] { (self.value) }
            } @else {
                input id=(id) type=(self.kind.input_type()) name=(base.name) value=[value]
                    maxlength=[self.maxlength] minlength=[self.minlength] min=[min] max=[max] step=[step]
                    size=[self.size] inputmode=[self.inputmode] autocomplete=[self.autocomplete]
                    placeholder=[self.placeholder] accept=[self.accept] spellcheck=[self.spellcheck]
                    required[base.required] autofocus[self.autofocus]
                    aria-describedby=[described] aria-invalid=[invalid];
            }
            (base.notes())
        }
    }
}

/// A checkbox with its label beside it, sending `name=value` when ticked; see `Labelled`.
#[derive(Debug, Clone)]
pub struct Check<'a> {
    base: Labelled<'a>,
    value: &'a str,
    checked: bool,
}

impl<'a> Check<'a> {
    pub fn new(name: impl Into<Cow<'a, str>>, value: &'a str, label: Bi) -> Self {
        Check {
            base: Labelled::new(name, label),
            value,
            checked: false,
        }
    }

    labelled_steps!();

    pub fn checked(mut self, checked: bool) -> Self {
        self.checked = checked;
        self
    }
}

impl Render for Check<'_> {
    fn render(&self) -> Markup {
        let base = &self.base;
        html! {
            label.choice {
                input id=(base.id()) type="checkbox" name=(base.name) value=(self.value)
                    checked[self.checked] required[base.required]
                    aria-describedby=[base.described_by()] aria-invalid=[base.invalid()];
                " " (base.label)
            }
            (base.notes())
        }
    }
}

/// A labelled `<select>` (see `Labelled`): options as (value, text), the one whose value is
/// `selected` marked, optionally a first option with an empty value ("all", "choose", "none").
#[derive(Debug, Clone)]
pub struct Select<'a> {
    base: Labelled<'a>,
    options: Vec<(String, String)>,
    selected: Cow<'a, str>,
    blank: Option<String>,
}

impl<'a> Select<'a> {
    pub fn new(name: impl Into<Cow<'a, str>>, label: Bi) -> Self {
        Select {
            base: Labelled::new(name, label),
            options: Vec::new(),
            selected: Cow::Borrowed(""),
            blank: None,
        }
    }

    /// A list's filter: "全部 all" first (an empty value: no filter), then `options`.
    pub fn filter<V: ToString, T: ToString>(
        name: &'a str,
        label: Bi,
        options: impl IntoIterator<Item = (V, T)>,
        selected: &'a str,
    ) -> Self {
        Select::new(name, label).all().options(options).selected(selected)
    }

    labelled_steps!();

    pub fn options<V: ToString, T: ToString>(mut self, options: impl IntoIterator<Item = (V, T)>) -> Self {
        self.options
            .extend(options.into_iter().map(|(v, t)| (v.to_string(), t.to_string())));
        self
    }

    /// The value shown as chosen (compared without surrounding spaces).
    pub fn selected(mut self, value: impl Into<Cow<'a, str>>) -> Self {
        self.selected = value.into();
        self
    }

    /// A first option "全部 all" with an empty value: the filter is off.
    pub fn all(self) -> Self {
        self.blank(ALL)
    }

    /// A first option with an empty value and this text.
    pub fn blank(mut self, text: impl ToString) -> Self {
        self.blank = Some(text.to_string());
        self
    }
}

impl Render for Select<'_> {
    fn render(&self) -> Markup {
        let base = &self.base;
        let selected = self.selected.trim();
        html! {
            label for=(base.id()) { (base.label) }
            select id=(base.id()) name=(base.name) required[base.required]
                aria-describedby=[base.described_by()] aria-invalid=[base.invalid()] {
                @if let Some(blank) = &self.blank { option value="" { (blank) } }
                @for (value, text) in &self.options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            (base.notes())
        }
    }
}

/// A GET form laid out as a bar: a list's filters (`FILTER` submits them), or another of the
/// console's GET forms with its own button. It knows the current value of each control, so
/// the list's pager and sort links keep them (`pairs`). Controls get the id `f-<name>`.
#[derive(Debug, Clone)]
pub struct FilterForm<'a> {
    action: &'a str,
    controls: Vec<Markup>,
    pairs: Vec<(String, String)>,
    submit: Option<Bi>,
    clear: Option<Bi>,
}

impl<'a> FilterForm<'a> {
    pub fn new(action: &'a str) -> Self {
        FilterForm {
            action,
            controls: Vec::new(),
            pairs: Vec::new(),
            submit: None,
            clear: None,
        }
    }

    /// Adds a select (`None` adds nothing: a filter this user does not get).
    pub fn select(self, select: impl Into<Option<Select<'a>>>) -> Self {
        let Some(mut select) = select.into() else {
            return self;
        };
        let pair = select.base.in_filter(&select.selected);
        self.add(pair, select)
    }

    pub fn field(self, mut field: Input<'a>) -> Self {
        let pair = field.base.in_filter(&field.value);
        self.add(pair, field)
    }

    pub fn check(self, mut check: Check<'a>) -> Self {
        let pair = check.base.in_filter(if check.checked { check.value } else { "" });
        self.add(pair, check)
    }

    fn add(mut self, pair: (String, String), control: impl Render) -> Self {
        self.pairs.push(pair);
        self.controls.push(control.render());
        self
    }

    /// The form's own button (a primary one) instead of "筛选 Filter".
    pub fn submit(mut self, label: Bi) -> Self {
        self.submit = Some(label);
        self
    }

    /// A link beside the button back to the unfiltered list.
    pub fn clear(mut self, label: Bi) -> Self {
        self.clear = Some(label);
        self
    }

    /// Each control's name and current value, for pager and sort links.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.pairs.clone()
    }

    /// The list these filters narrow, on `paging`'s page and order.
    pub fn listing(&self, paging: &'a Paging) -> Listing<'a> {
        Listing::new(self.action, paging).filters(self.pairs())
    }
}

impl Render for FilterForm<'_> {
    fn render(&self) -> Markup {
        html! {
            form.filters method="get" action=(self.action) {
                @for control in &self.controls { div { (control) } }
                @match self.submit {
                    Some(label) => button type="submit" { (label) },
                    None => button.secondary type="submit" { (FILTER) },
                }
                @if let Some(clear) = self.clear { a href=(self.action) { (clear) } }
            }
        }
    }
}

/// Where a list stands: its path, the filters in force and the page and order asked for.
/// Sort links and the pager keep all three.
#[derive(Debug, Clone)]
pub struct Listing<'a> {
    path: &'a str,
    filters: Vec<(String, String)>,
    paging: &'a Paging,
}

impl<'a> Listing<'a> {
    pub fn new(path: &'a str, paging: &'a Paging) -> Self {
        Listing {
            path,
            filters: Vec::new(),
            paging,
        }
    }

    pub fn filters<K: Into<String>>(mut self, pairs: impl IntoIterator<Item = (K, String)>) -> Self {
        self.filters = pairs.into_iter().map(|(k, v)| (k.into(), v)).collect();
        self
    }

    /// A heading that sorts the list by `column`.
    pub fn sort_link(&self, column: &str, label: Bi) -> Markup {
        list::sort_link(self.path, &self.filters, self.paging, column, html! { (label) })
    }

    pub fn pager(&self, total: i64) -> Markup {
        list::pager(self.path, &self.filters, self.paging, total)
    }

    /// This very page of the list (filters, order and page), to come back to after an action.
    pub fn here(&self) -> String {
        let page = self.paging.page.map(|p| p.to_string()).unwrap_or_default();
        list::page_link(self.path, &self.filters, self.paging, page)
    }
}

/// A column of a `Table`: its heading, the sort key that makes the heading a sort link, and
/// a class for its heading cell (`num`, `no-print`).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    label: Bi,
    sort: Option<&'static str>,
    class: Option<&'static str>,
}

impl Column {
    pub const fn new(label: Bi) -> Self {
        Column {
            label,
            sort: None,
            class: None,
        }
    }

    /// A column the list can be sorted by (`key` is the `?sort=` value).
    pub const fn sorted(key: &'static str, label: Bi) -> Self {
        Column {
            label,
            sort: Some(key),
            class: None,
        }
    }

    /// Right-aligned figures.
    pub const fn num(self) -> Self {
        Column {
            class: Some("num"),
            ..self
        }
    }

    /// Left off paper (edit links and buttons).
    pub const fn no_print(self) -> Self {
        Column {
            class: Some("no-print"),
            ..self
        }
    }
}

/// A page of a list as a table: headings (sortable where a column has a key), one `<tr>` per
/// row from the cells given, the message when nothing matches, and the pager.
#[derive(Debug)]
pub struct Table<'a> {
    listing: &'a Listing<'a>,
    columns: Vec<Column>,
    rows: Vec<Markup>,
    empty: Bi,
    total: i64,
}

impl<'a> Table<'a> {
    /// `total` counts the rows on every page; `empty` is said when there are none.
    pub fn new(
        listing: &'a Listing<'a>,
        columns: impl IntoIterator<Item = Column>,
        empty: Bi,
        total: i64,
    ) -> Self {
        Table {
            listing,
            columns: columns.into_iter().collect(),
            rows: Vec::new(),
            empty,
            total,
        }
    }

    /// The rows of this page, each as its cells.
    pub fn rows(mut self, rows: impl IntoIterator<Item = Markup>) -> Self {
        self.rows.extend(rows);
        self
    }
}

impl Render for Table<'_> {
    fn render(&self) -> Markup {
        html! {
            @if self.rows.is_empty() {
                p.muted { (self.empty) }
            } @else {
                div.table-scroll {
                    table.list {
                        thead { tr {
                            @for c in &self.columns {
                                th class=[c.class] {
                                    @match c.sort {
                                        Some(key) => (self.listing.sort_link(key, c.label)),
                                        None => (c.label),
                                    }
                                }
                            }
                        } }
                        tbody { @for cells in &self.rows { tr { (cells) } } }
                    }
                }
            }
            (self.listing.pager(self.total))
        }
    }
}

/// A list page: its heading and introduction, a notice or problem, actions (such as "new"),
/// the filter bar and the results (usually a `Table`). Pages add their own sections after it.
#[derive(Debug)]
pub struct ListPage<'a> {
    title: Bi,
    intro: Option<Markup>,
    notice: Option<Markup>,
    problem: Option<Markup>,
    actions: Option<Markup>,
    filters: Option<FilterForm<'a>>,
    results: Option<Markup>,
}

impl<'a> ListPage<'a> {
    pub fn new(title: Bi) -> Self {
        ListPage {
            title,
            intro: None,
            notice: None,
            problem: None,
            actions: None,
            filters: None,
            results: None,
        }
    }

    pub fn intro(mut self, intro: impl Render) -> Self {
        self.intro = Some(intro.render());
        self
    }

    /// What the last action did, if anything.
    pub fn notice(mut self, notice: Option<impl Render>) -> Self {
        self.notice = notice.map(|n| n.render());
        self
    }

    /// Why the last action was refused, if it was.
    pub fn problem(mut self, problem: Option<impl Render>) -> Self {
        self.problem = problem.map(|p| p.render());
        self
    }

    /// Links and forms above the filters, as given.
    pub fn actions(mut self, actions: Markup) -> Self {
        self.actions = Some(actions);
        self
    }

    pub fn filters(mut self, filters: FilterForm<'a>) -> Self {
        self.filters = Some(filters);
        self
    }

    pub fn table(self, table: Table<'_>) -> Self {
        self.results(table.render())
    }

    /// Results that are not one table (cards, a table inside a form).
    pub fn results(mut self, results: Markup) -> Self {
        self.results = Some(results);
        self
    }
}

impl Render for ListPage<'_> {
    fn render(&self) -> Markup {
        html! {
            h1 { (self.title) }
            @if let Some(intro) = &self.intro { p.muted { (intro) } }
            @if let Some(notice) = &self.notice { p.notice role="status" { (notice) } }
            (alert(self.problem.as_ref()))
            @if let Some(actions) = &self.actions { (actions) }
            @if let Some(filters) = &self.filters { (filters) }
            @if let Some(results) = &self.results { (results) }
        }
    }
}

/// A one-button POST form for an action on one record (deactivate, revoke, publish, reset):
/// the CSRF field, any hidden fields, and the button. Secondary unless `primary`.
#[derive(Debug, Clone)]
pub struct ConfirmButton<'a> {
    csrf: &'a str,
    action: String,
    label: Bi,
    hidden: Vec<(&'static str, String)>,
    primary: bool,
}

impl<'a> ConfirmButton<'a> {
    pub fn new(csrf: &'a str, action: impl Into<String>, label: Bi) -> Self {
        ConfirmButton {
            csrf,
            action: action.into(),
            label,
            hidden: Vec::new(),
            primary: false,
        }
    }

    pub fn hidden(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.hidden.push((name, value.into()));
        self
    }

    /// The page's main action.
    pub fn primary(mut self) -> Self {
        self.primary = true;
        self
    }
}

impl Render for ConfirmButton<'_> {
    fn render(&self) -> Markup {
        html! {
            form.inline method="post" action=(self.action) {
                (CsrfField(self.csrf))
                @for (name, value) in &self.hidden { input type="hidden" name=(name) value=(value); }
                @if self.primary {
                    button type="submit" { (self.label) }
                } @else {
                    button.secondary type="submit" { (self.label) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: Bi = Bi("名称", "Name");

    #[test]
    fn the_csrf_field_is_hidden_and_escaped() {
        let html = CsrfField("a\"b<c").render().into_string();
        assert_eq!(html, r#"<input type="hidden" name="csrf" value="a&quot;b&lt;c">"#);
    }

    #[test]
    fn a_field_shows_its_problem_in_place_and_links_it() {
        let html = Input::text("name", LABEL)
            .value("<script>x</script>")
            .hint(Bi("提示", "hint"))
            .problem(Some("太长 <too long>"))
            .required()
            .maxlength(10)
            .render()
            .into_string();
        assert!(html.contains(r#"<label for="name">名称"#), "{html}");
        assert!(
            html.contains(r#"value="&lt;script&gt;x&lt;/script&gt;""#) && !html.contains("<script>"),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-describedby="name-hint name-problem" aria-invalid="true""#),
            "{html}"
        );
        assert!(html.contains(r#"<p class="muted" id="name-hint">提示"#), "{html}");
        assert!(
            html.contains(r#"<p class="error" role="alert" id="name-problem">太长 &lt;too long&gt;</p>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"maxlength="10""#) && html.contains(" required"),
            "{html}"
        );
    }

    #[test]
    fn a_field_without_a_problem_is_not_marked_invalid() {
        let html = Input::number("cap", LABEL, 1, 500)
            .id("x-cap")
            .value("7")
            .render()
            .into_string();
        assert!(
            !html.contains("aria-invalid") && !html.contains("aria-describedby"),
            "{html}"
        );
        assert!(
            html.contains(r#"<label for="x-cap">"#) && html.contains(r#"id="x-cap""#),
            "{html}"
        );
        assert!(
            html.contains(r#"type="number" name="cap" value="7" min="1" max="500" step="1""#),
            "{html}"
        );
    }

    #[test]
    fn textareas_hold_their_text_and_passwords_are_never_sent_back() {
        let text = Input::textarea("note", LABEL, 3)
            .value("a</textarea>b")
            .render()
            .into_string();
        assert!(
            text.contains(r#"rows="3">a&lt;/textarea&gt;b</textarea>"#),
            "{text}"
        );
        let password = Input::new(Kind::Password, "pw", LABEL)
            .value("secret")
            .render()
            .into_string();
        assert!(!password.contains("secret") && password.contains(r#"type="password""#));
    }

    #[test]
    fn a_select_marks_the_chosen_option_and_escapes_the_others() {
        let html = Select::new("channel", LABEL)
            .all()
            .options([("web", "网站"), ("x\"y", "<b>")])
            .selected(" web ")
            .render()
            .into_string();
        assert!(html.contains(r#"<option value="">全部 all</option>"#), "{html}");
        assert!(
            html.contains(r#"<option value="web" selected>网站</option>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<option value="x&quot;y">&lt;b&gt;</option>"#),
            "{html}"
        );
        let problem = Select::new("role", LABEL)
            .problem(Some(Bi("请选择", "choose")))
            .render();
        assert!(
            problem
                .into_string()
                .contains(r#"aria-describedby="role-problem""#),
            "the problem is linked"
        );
    }

    #[test]
    fn a_check_is_ticked_only_when_asked() {
        let on = Check::new("overdue", "1", LABEL)
            .checked(true)
            .render()
            .into_string();
        assert!(on.contains(r#"name="overdue" value="1" checked"#), "{on}");
        let off = Check::new("overdue", "1", LABEL).render().into_string();
        assert!(!off.contains("checked"), "{off}");
    }

    #[test]
    fn filters_keep_their_values_in_pager_and_sort_links() {
        let paging = Paging {
            page: Some(2),
            ..Paging::default()
        };
        let filters = FilterForm::new("/admin/x")
            .select(
                Select::new("status", LABEL)
                    .all()
                    .options([("a&b", "A")])
                    .selected("a&b"),
            )
            .select(None)
            .field(Input::date("from", LABEL).value("2026-10-01"))
            .check(Check::new("comment", "1", LABEL));
        let html = filters.render().into_string();
        assert!(
            html.contains(r#"<label for="f-status">"#) && html.contains(r#"id="f-from""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<button class="secondary" type="submit">筛选"#),
            "{html}"
        );
        let listing = filters.listing(&paging);
        let pager = listing.pager(120).into_string();
        assert!(
            pager.contains("status=a%26b&amp;from=2026-10-01&amp;page=1"),
            "{pager}"
        );
        assert!(
            !pager.contains("comment="),
            "an unticked box is no filter: {pager}"
        );
        let link = listing.sort_link("at", LABEL).into_string();
        assert!(
            link.contains("status=a%26b&amp;from=2026-10-01&amp;sort=at&amp;dir=desc"),
            "{link}"
        );
        assert_eq!(listing.here(), "/admin/x?status=a%26b&from=2026-10-01&page=2");
    }

    #[test]
    fn a_table_sorts_by_its_keyed_columns_and_says_when_it_is_empty() {
        let paging = Paging::default();
        let listing = Listing::new("/admin/x", &paging);
        let columns = [Column::sorted("name", LABEL), Column::new(Bi("数", "n")).num()];
        let html = Table::new(&listing, columns, Bi("没有", "none"), 1)
            .rows([html! { td { "<a>" } td.num { "3" } }])
            .render()
            .into_string();
        assert!(
            html.contains(r#"<th><a href="/admin/x?sort=name&amp;dir=desc">名称"#),
            "{html}"
        );
        assert!(html.contains(r#"<th class="num">数"#), "{html}");
        assert!(html.contains("<tr><td>&lt;a&gt;</td>"), "{html}");
        assert!(!html.contains("没有") && html.contains("共 1 条"), "{html}");
        let empty = Table::new(&listing, columns, Bi("没有", "none"), 0)
            .render()
            .into_string();
        assert!(empty.contains("没有") && !empty.contains("<table"), "{empty}");
    }

    #[test]
    fn a_confirm_button_posts_its_hidden_fields_with_the_token() {
        let html = ConfirmButton::new("tok", "/admin/links/3/active", Bi("停用", "Deactivate"))
            .hidden("back", "/admin/links?page=2&x=<y>")
            .render()
            .into_string();
        assert!(html.starts_with(r#"<form class="inline" method="post" action="/admin/links/3/active">"#));
        assert!(html.contains(r#"name="csrf" value="tok""#), "{html}");
        assert!(
            html.contains(r#"name="back" value="/admin/links?page=2&amp;x=&lt;y&gt;""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<button class="secondary" type="submit">停用"#),
            "{html}"
        );
        let primary = ConfirmButton::new("tok", "/p", LABEL)
            .primary()
            .render()
            .into_string();
        assert!(primary.contains(r#"<button type="submit">"#), "{primary}");
    }

    #[test]
    fn a_list_page_puts_its_parts_in_order() {
        let html = ListPage::new(Bi("标题", "Title"))
            .intro(Bi("介绍", "intro"))
            .notice(Some(Bi("已保存", "saved")))
            .problem(None::<Bi>)
            .results(html! { p { "results" } })
            .render()
            .into_string();
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} in {html}"));
        assert!(
            at("<h1>") < at("介绍") && at("介绍") < at(r#"role="status""#) && at("已保存") < at("results")
        );
        assert!(!html.contains("role=\"alert\""), "{html}");
    }
}
