//! The declaration pass: every enum, record, decision, table, policy, rule and test gets an id,
//! and every name a place in its file's scope. Duplicates are reported here, pointing at both
//! declarations.

use std::sync::Arc;

use super::ir::*;
use super::{Context, Decl};
use crate::diagnostic::Code;
use crate::syntax::ast;

/// The texts of documentation clauses.
pub(crate) fn docs(docs: &[ast::Doc]) -> Vec<Arc<str>> {
    docs.iter().map(|d| Arc::from(d.text.as_str())).collect()
}

/// An optional string's text.
pub(crate) fn text(string: &Option<ast::Str>) -> Option<Arc<str>> {
    string.as_ref().map(|s| Arc::from(s.node.as_str()))
}

impl<'a> Context<'a> {
    pub(crate) fn declare_all(&mut self) {
        let set = self.set;
        for (index, (_, tree)) in set.files.iter().enumerate() {
            let file = FileId::from_index(index);
            for item in &tree.items {
                match item {
                    ast::Item::Import(_) => {}
                    ast::Item::Policy(policy) => self.declare_policy(file, policy),
                    ast::Item::Schema(schema) => self.declare_schema(file, schema),
                    ast::Item::Record(record) => self.declare_record(file, record),
                    ast::Item::Enum(decl) => self.declare_enum(file, decl),
                    ast::Item::Decision(decl) => self.declare_decision(file, decl),
                    ast::Item::Table(table) => self.declare_table(file, table, None),
                    ast::Item::Test(test) => self.declare_test(file, test, None),
                }
            }
        }
    }

    /// Puts a name in its file's scope, reporting a second declaration of the same name.
    fn declare_name(&mut self, file: FileId, name: &ast::Ident, decl: Decl) {
        let key: Arc<str> = Arc::from(name.node.as_str());
        let existing = self
            .scopes
            .get(file.index())
            .and_then(|scope| scope.own.get(&key).copied());
        if let Some(first) = existing {
            let mut diagnostic = self.error(
                Code::E0101,
                format!("`{}` is declared twice in this file", name.node),
                Self::at(file, name.span),
                format!("{} is declared again here", self.decl_description(decl)),
            );
            if let Some(location) = self.decl_location(first) {
                diagnostic = self.also(
                    diagnostic,
                    location,
                    format!("{} is first declared here", self.decl_description(first)),
                );
            }
            self.report(diagnostic.with_help("tables, decisions, enums and records of one file share one set of names; rename one of them"));
            return;
        }
        if let Some(scope) = self.scopes.get_mut(file.index()) {
            scope.own.insert(key.clone(), decl);
        }
        self.global.entry(key).or_default().push((file, decl));
    }

    fn declare_policy(&mut self, file: FileId, policy: &'a ast::Policy) {
        let id = PolicyId::from_index(self.program.policies.len());
        let name: Arc<str> = Arc::from(policy.name.dotted().as_str());
        let location = Self::at(file, policy.name.span);
        let first = self
            .policy_names
            .get(&name)
            .and_then(|p| self.program.policies.get(p.index()))
            .map(|p| p.location);
        if first.is_none() {
            self.policy_names.insert(name.clone(), id);
        }
        if let Some(first) = first {
            let diagnostic = self.error(
                Code::E0101,
                format!("the policy `{name}` is declared twice"),
                location,
                "declared again here",
            );
            let diagnostic = self.also(diagnostic, first, "first declared here");
            self.report(diagnostic.with_help("a policy is one block; move the rules of the second block into the first, or rename it"));
        }
        let dates = DateRange {
            effective: policy.effective.as_ref().map(|d| d.node),
            until: policy.until.as_ref().map(|d| d.node),
        };
        self.check_range(
            dates,
            file,
            policy.effective.as_ref(),
            policy.until.as_ref(),
            "policy",
        );
        self.program.policies.push(Policy {
            name: name.clone(),
            title: text(&policy.title),
            authority: text(&policy.authority),
            cite: text(&policy.cite),
            docs: docs(&policy.docs),
            dates,
            rules: Vec::new(),
            location,
        });
        for member in &policy.members {
            match member {
                ast::Member::Rule(rule) => self.declare_rule(file, id, &name, rule),
                ast::Member::Table(table) => self.declare_table(file, table, Some(id)),
                ast::Member::Test(test) => self.declare_test(file, test, Some(id)),
                ast::Member::Decision(decl) => self.declare_decision(file, decl),
                ast::Member::Enum(decl) => self.declare_enum(file, decl),
                ast::Member::Record(record) => self.declare_record(file, record),
            }
        }
    }

    fn declare_rule(
        &mut self,
        file: FileId,
        policy: PolicyId,
        policy_name: &str,
        rule: &'a ast::RuleDecl,
    ) {
        let id = RuleId::from_index(self.program.rules.len());
        let short_name: Arc<str> = Arc::from(rule.name.node.as_str());
        let name: Arc<str> = Arc::from(format!("{policy_name}.{}", rule.name.node).as_str());
        let location = Self::at(file, rule.name.span);
        if let Some(&first) = self.program.rule_names.get(&name) {
            let first_location = self.program.rule(first).map(|r| r.location);
            let mut diagnostic = self.error(
                Code::E0101,
                format!("the rule `{name}` is declared twice"),
                location,
                "declared again here",
            );
            if let Some(first_location) = first_location {
                diagnostic = self.also(diagnostic, first_location, "first declared here");
            }
            self.report(
                diagnostic
                    .with_help("every rule of a policy needs its own name: rename one of them"),
            );
        } else {
            self.program.rule_names.insert(name.clone(), id);
            self.rules_by_policy
                .insert((policy, short_name.clone()), id);
        }
        if let Some(p) = self.program.policies.get_mut(policy.index()) {
            p.rules.push(id);
        }
        self.program.rules.push(Rule {
            name,
            short_name,
            policy,
            title: text(&rule.title),
            docs: docs(&rule.docs),
            cite: text(&rule.cite),
            own_dates: DateRange::ALWAYS,
            dates: DateRange::ALWAYS,
            exception_to: Vec::new(),
            overridden_by: Vec::new(),
            priority: rule.priority.as_ref().map_or(0, |p| p.node),
            when: None,
            unless: None,
            outcomes: Vec::new(),
            because: None,
            slots: Vec::new(),
            witnesses: Vec::new(),
            location,
        });
        self.pending.rules.push(rule);
    }

    fn declare_schema(&mut self, file: FileId, schema: &'a ast::RecordDecl) {
        let id = self.push_record(file, schema);
        if let Some(first) = self.program.schema {
            let first_location = self.program.record(first).map(|r| r.location);
            let mut diagnostic = self.error(
                Code::E0101,
                "a second transaction schema is declared",
                Self::at(file, schema.name.span),
                "another `schema` here",
            );
            if let Some(first_location) = first_location {
                diagnostic = self.also(
                    diagnostic,
                    first_location,
                    "the schema is first declared here",
                );
            }
            self.report(
                diagnostic
                    .with_help("a library has one transaction schema; merge the fields into it"),
            );
            return;
        }
        self.program.schema = Some(id);
        self.schema_file = Some(file);
        self.declare_name(file, &schema.name, Decl::Schema(id));
    }

    fn declare_record(&mut self, file: FileId, record: &'a ast::RecordDecl) {
        let id = self.push_record(file, record);
        self.declare_name(file, &record.name, Decl::Record(id));
    }

    fn push_record(&mut self, file: FileId, record: &'a ast::RecordDecl) -> RecordId {
        let id = RecordId::from_index(self.program.records.len());
        self.program.records.push(Record {
            name: Arc::from(record.name.node.as_str()),
            docs: docs(&record.docs),
            fields: Vec::new(),
            location: Self::at(file, record.name.span),
        });
        self.pending.records.push(record);
        id
    }

    fn declare_enum(&mut self, file: FileId, decl: &'a ast::EnumDecl) {
        let id = EnumId::from_index(self.program.enums.len());
        let mut values: Vec<EnumValue> = Vec::new();
        for variant in &decl.variants {
            let location = Self::at(file, variant.name.span);
            if let Some(first) = values.iter().find(|v| *v.name == *variant.name.node) {
                let diagnostic = self.error(
                    Code::E0101,
                    format!(
                        "the value `{}` is listed twice in the enum `{}`",
                        variant.name.node, decl.name.node
                    ),
                    location,
                    "listed again here",
                );
                let diagnostic = self.also(diagnostic, first.location, "first listed here");
                self.report(diagnostic.with_help("remove the second one"));
                continue;
            }
            values.push(EnumValue {
                name: Arc::from(variant.name.node.as_str()),
                description: text(&variant.description),
                location,
            });
        }
        self.program.enums.push(Enum {
            name: Arc::from(decl.name.node.as_str()),
            docs: docs(&decl.docs),
            values,
            origin: EnumOrigin::Declared,
            location: Self::at(file, decl.name.span),
        });
        self.declare_name(file, &decl.name, Decl::Enum(id));
    }

    fn declare_decision(&mut self, file: FileId, decl: &'a ast::DecisionDecl) {
        let id = DecisionId::from_index(self.program.decisions.len());
        let name: Arc<str> = Arc::from(decl.name.node.as_str());
        let location = Self::at(file, decl.name.span);
        // Decision records are keyed by decision name, so a name means one decision everywhere.
        if let Some(&first) = self.program.decision_names.get(&name) {
            let first_location = self.program.decision(first).map(|d| d.location);
            let same_file = first_location.is_some_and(|l| l.file == file);
            if !same_file {
                let mut diagnostic = self.error(
                    Code::E0101,
                    format!("the decision `{name}` is declared twice"),
                    location,
                    "declared again here",
                );
                if let Some(first_location) = first_location {
                    diagnostic = self.also(diagnostic, first_location, "first declared here");
                }
                self.report(diagnostic.with_help("every decision record reports each decision by its name, so a decision is declared once in the whole library"));
            }
        } else {
            self.program.decision_names.insert(name.clone(), id);
        }
        self.program.decisions.push(Decision {
            name,
            title: text(&decl.title),
            docs: docs(&decl.docs),
            kind: DecisionKind::Single(Type::Error),
            value_type: Type::Error,
            combine: decl.combine.as_ref().map(|c| c.node),
            default: None,
            unknown: None,
            set_by: Vec::new(),
            location,
        });
        self.pending.decisions.push(decl);
        self.declare_name(file, &decl.name, Decl::Decision(id));
    }

    fn declare_table(&mut self, file: FileId, table: &'a ast::TableDecl, policy: Option<PolicyId>) {
        let id = TableId::from_index(self.program.tables.len());
        let name: Arc<str> = Arc::from(table.name.node.as_str());
        let qualified_name = match policy.and_then(|p| self.program.policies.get(p.index())) {
            Some(p) => Arc::from(format!("{}.{}", p.name, name).as_str()),
            None => name.clone(),
        };
        self.program.tables.push(Table {
            name,
            qualified_name,
            policy,
            title: text(&table.title),
            docs: docs(&table.docs),
            source: text(&table.source),
            as_of: table.as_of.as_ref().map(|d| d.node),
            columns: Vec::new(),
            rows: Vec::new(),
            load: None,
            screening: false,
            location: Self::at(file, table.name.span),
        });
        self.pending.tables.push(table);
        self.declare_name(file, &table.name, Decl::Table(id));
    }

    fn declare_test(&mut self, file: FileId, test: &'a ast::TestDecl, policy: Option<PolicyId>) {
        self.program.tests.push(Test {
            name: Arc::from(test.name.node.as_str()),
            docs: docs(&test.docs),
            policy,
            as_of: test.as_of.as_ref().map(|d| d.node),
            given: None,
            expects: Vec::new(),
            location: Self::at(file, test.name.span),
        });
        self.pending.tests.push(test);
    }

    /// Reports an empty or inverted date range.
    pub(crate) fn check_range(
        &mut self,
        range: DateRange,
        file: FileId,
        effective: Option<&ast::DateLit>,
        until: Option<&ast::DateLit>,
        what: &str,
    ) {
        if !range.is_empty() {
            return;
        }
        let (Some(effective), Some(until)) = (effective, until) else {
            return;
        };
        let message = if effective.node == until.node {
            format!("the {what} is in force on no day: `until` is the same day as `effective`")
        } else {
            format!("the {what} is in force on no day: `until` comes before `effective`")
        };
        let diagnostic = self.error(
            Code::E0420,
            message,
            Self::at(file, until.span),
            format!("`until {}` is the first day no longer in force", until.node),
        );
        let diagnostic = self.also(
            diagnostic,
            Self::at(file, effective.span),
            format!("`effective {}` is the first day in force", effective.node),
        );
        self.report(diagnostic.with_help("`until` names the first day the text is no longer in force, so it must come after `effective`"));
    }
}
