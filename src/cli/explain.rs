//! The human rendering of a decision record: the decisions, then every rule that fired shown
//! on its source lines (miette style) with the values that made its conditions hold, its
//! citation and its `because` sentence; with `--explain`, the rules that did not fire and why.

use std::fmt::{self, Write as _};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use vigil::diagnostic::RenderConfig;
use vigil::eval::engine::plain_value;
use vigil::eval::{DecisionRecord, Outcome, RuleResult, WhyNot};
use vigil::semantic::ir::{Location, Program, Type};
use vigil::source::SourceFile;

/// What to include in a report.
#[derive(Clone, Copy, Debug)]
pub struct ExplainConfig {
    pub render: RenderConfig,
    /// Also show the rules in force that did not fire, and why.
    pub why_not: bool,
}

/// Renders one record for a person.
pub fn render(
    program: &Program,
    record: &DecisionRecord,
    outcome: Option<&Outcome>,
    config: ExplainConfig,
) -> String {
    let mut out = String::new();
    let id = match &record.id {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(no id)".to_string(),
        other => other.to_string(),
    };
    let date = record
        .date
        .as_deref()
        .map(|d| format!(" — law in force on {d}"))
        .unwrap_or_default();
    let _ = writeln!(out, "━━ {id}{date}");
    if !record.errors.is_empty() {
        let _ = writeln!(out, "  rejected: the input does not fit the schema");
        for error in &record.errors {
            let pointer = if error.pointer.is_empty() {
                "(input)"
            } else {
                &error.pointer
            };
            let _ = writeln!(out, "    {pointer}: {}", error.message);
        }
        out.push('\n');
        return out;
    }
    if let Some(decisions) = &record.decisions {
        let width = decisions.keys().map(String::len).max().unwrap_or(0);
        for (name, value) in decisions {
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) if items.is_empty() => "none".to_string(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(", "),
                serde_json::Value::Null => "—".to_string(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "  {name:<width$}  {shown}");
        }
    }
    for obligation in &record.obligations {
        let _ = writeln!(out, "  • {obligation}");
    }
    for m in &record.matches {
        let alias = m
            .alias
            .as_deref()
            .map(|a| format!(" (alias `{a}`)"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  screening hit: `{}` matches `{}`{alias} on {} (score {:.2})",
            m.party, m.listed_name, m.list, m.score
        );
    }
    out.push('\n');
    let Some(outcome) = outcome else { return out };
    for (index, result) in outcome.rules.iter().enumerate() {
        let Some(rule) = program.rules.get(index) else {
            continue;
        };
        match result {
            RuleResult::Fired(fired) => {
                let labels = fired
                    .bindings
                    .iter()
                    .filter_map(|(expr, value)| {
                        let e = program.expr(*expr)?;
                        (e.location.file == rule.location.file && is_quotable(&e.ty))
                            .then(|| (e.location, shown_value(program, value, &e.ty)))
                    })
                    .collect();
                let sets: Vec<String> = fired
                    .sets
                    .iter()
                    .filter_map(|(d, _, v)| {
                        program.decision(*d).map(|decision| {
                            format!(
                                "{} {}",
                                decision.name,
                                shown_value(
                                    program,
                                    v,
                                    &decision
                                        .value_type
                                        .element()
                                        .cloned()
                                        .filter(|_| matches!(decision.value_type, Type::Set(_)))
                                        .unwrap_or_else(|| decision.value_type.clone())
                                )
                            )
                        })
                    })
                    .collect();
                let message = format!("fired: {}", sets.join(", "));
                let help = fired.because.clone();
                out.push_str(&snippet(
                    program,
                    rule,
                    message,
                    help,
                    labels,
                    config.render,
                ));
            }
            RuleResult::Overridden { by } => {
                let by = program.rule(*by).map_or("?", |r| &r.name);
                let _ = writeln!(
                    out,
                    "  overridden: {} — its condition holds, but the exception {by} fired\n",
                    rule.name
                );
            }
            RuleResult::Uncertain { missing } => {
                let labels = missing
                    .iter()
                    .filter_map(|e| program.expr(*e))
                    .filter(|e| e.location.file == rule.location.file)
                    .map(|e| (e.location, "not given".to_string()))
                    .collect();
                out.push_str(&snippet(program, rule, "may apply: the information it needs is missing, so its decisions are indeterminate".to_string(), None, labels, config.render));
            }
            RuleResult::NotFired { why: Some(why) } if config.why_not => {
                let WhyNot { failed, values } = &**why;
                let mut labels: Vec<(Location, String)> = program
                    .expr(*failed)
                    .filter(|e| e.location.file == rule.location.file)
                    .map(|e| (e.location, "does not hold".to_string()))
                    .into_iter()
                    .collect();
                labels.extend(values.iter().filter_map(|(expr, value)| {
                    let e = program.expr(*expr)?;
                    (e.location.file == rule.location.file && is_quotable(&e.ty))
                        .then(|| (e.location, shown_value(program, value, &e.ty)))
                }));
                out.push_str(&snippet(
                    program,
                    rule,
                    "did not fire".to_string(),
                    None,
                    labels,
                    config.render,
                ));
            }
            RuleResult::NotFired { .. } | RuleResult::NotInForce => {}
        }
    }
    out
}

/// Whether a value reads well in a label: scalars and lists of scalars, not whole records.
fn is_quotable(ty: &Type) -> bool {
    match ty {
        Type::Record(_) | Type::Row(_) | Type::Error => false,
        Type::List(element) | Type::Set(element) => is_quotable(element),
        _ => true,
    }
}

fn shown_value(program: &Program, value: &vigil::semantic::ir::Value, ty: &Type) -> String {
    match value {
        vigil::semantic::ir::Value::Missing => "not given".to_string(),
        other => plain_value(program, other, ty),
    }
}

fn snippet(
    program: &Program,
    rule: &vigil::semantic::ir::Rule,
    message: String,
    help: Option<String>,
    labels: Vec<(Location, String)>,
    render: RenderConfig,
) -> String {
    let Some(file) = program.file(rule.location.file) else {
        return String::new();
    };
    let report = Explanation {
        code: format!(
            "{}{}",
            rule.name,
            rule.cite
                .as_deref()
                .map(|c| format!(" — {c}"))
                .unwrap_or_default()
        ),
        message,
        help,
        source: NamedSource::new(&file.name, Text(file.clone())),
        labels: labels
            .into_iter()
            .map(|(location, text)| LabeledSpan::new_with_span(Some(text), location.span))
            .collect(),
        rule_span: rule.location.span,
    };
    let theme = if render.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(render.width)
        .with_links(false)
        .with_context_lines(0);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        return format!("  {}: {}\n", report.code, report.message);
    }
    out.push('\n');
    out
}

struct Explanation {
    code: String,
    message: String,
    help: Option<String>,
    source: NamedSource<Text>,
    labels: Vec<LabeledSpan>,
    rule_span: vigil::source::Span,
}

#[derive(Debug, Clone)]
struct Text(SourceFile);

impl miette::SourceCode for Text {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        self.0.text.as_ref().read_span(span, before, after)
    }
}

impl fmt::Debug for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Explanation {}

impl miette::Diagnostic for Explanation {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(format!("because {h}")) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            // With no condition to point at, show the rule's first line.
            let first_line = self
                .source
                .inner()
                .0
                .slice(self.rule_span)
                .find('\n')
                .unwrap_or(self.rule_span.len());
            let span = vigil::source::Span::new(
                self.rule_span.start as usize,
                self.rule_span.start as usize + first_line,
            );
            return Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
                None, span,
            ))));
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}
