//! Parser for the trade.gov Consolidated Screening List (CSL) JSON export, turning its records into
//! [`ListEntry`] values and reporting malformed input with the path of the offending field.

use serde_json::{Map, Value};

use super::ListEntry;

/// Why a CSL document could not be read. Every message names the place of the problem, so that a
/// broken download can be diagnosed without opening a 9 MB file by hand.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CslError {
    /// The text is not JSON at all.
    #[error("the CSL file is not valid JSON: {message} (line {line}, column {column})")]
    Syntax {
        message: String,
        line: usize,
        column: usize,
    },
    /// A required field is absent or null.
    #[error("`{path}` is missing: {why}")]
    Missing { path: String, why: &'static str },
    /// A field holds a value of the wrong JSON type.
    #[error("`{path}` should be {expected} but is {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
}

/// Country values in the CSL that are not ISO 3166 alpha-2 codes but name one unambiguously; they
/// are mapped so that country rules can compare codes. Regions ("REGION: KASHMIR") and disputed
/// territories stay verbatim: mapping them would be a political judgement, not a parsing one.
const COUNTRY_ALIASES: &[(&str, &str)] = &[
    ("PRC", "CN"),
    ("MACAU", "MO"),
    ("TURKIYE", "TR"),
    ("MAN, ISLE OF", "IM"),
];

/// Parses the trade.gov CSL JSON shape:
/// `{"results":[{"name","alt_names","source","addresses":[{"country"}],"license_requirement",
/// "license_policy","federal_register_notice","entity_number","start_date",...}]}`.
///
/// Unknown fields are ignored. `results` and every record's `name` are required; a missing or null
/// `alt_names` or `addresses` is empty, a missing `source` is the empty string, and the other
/// fields are `None` when missing or null. Strings are kept verbatim, except that countries are
/// trimmed, deduplicated and the few spelled-out ones mapped to their ISO code.
pub fn parse_csl_json(text: &str) -> Result<Vec<ListEntry>, CslError> {
    let document: Value = serde_json::from_str(text).map_err(|e| CslError::Syntax {
        message: syntax_message(&e),
        line: e.line(),
        column: e.column(),
    })?;
    let root = as_object(&document, "(document root)")?;
    let results = match root.get("results") {
        None | Some(Value::Null) => {
            return Err(CslError::Missing {
                path: "results".to_owned(),
                why: "a CSL document lists its records under `results`",
            })
        }
        Some(value) => as_array(value, "results")?,
    };
    results
        .iter()
        .enumerate()
        .map(|(i, record)| parse_record(record, &format!("results[{i}]")))
        .collect()
}

/// Drops serde_json's own " at line L column C" suffix, which the error repeats in its fields.
fn syntax_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(pos) => full.get(..pos).unwrap_or(&full).to_owned(),
        None => full,
    }
}

fn parse_record(record: &Value, path: &str) -> Result<ListEntry, CslError> {
    let fields = as_object(record, path)?;
    let name = match fields.get("name") {
        None | Some(Value::Null) => {
            return Err(CslError::Missing {
                path: format!("{path}.name"),
                why: "every CSL record needs a name",
            })
        }
        Some(value) => as_str(value, &format!("{path}.name"))?.to_owned(),
    };
    let mut aliases = Vec::new();
    if let Some(value) = non_null(fields.get("alt_names")) {
        let alt_path = format!("{path}.alt_names");
        for (k, alias) in as_array(value, &alt_path)?.iter().enumerate() {
            // A null inside the list says nothing; an empty alias could never match anything.
            if let Some(alias) = non_null(Some(alias)) {
                let alias = as_str(alias, &format!("{alt_path}[{k}]"))?;
                if !alias.trim().is_empty() {
                    aliases.push(alias.to_owned());
                }
            }
        }
    }
    let mut countries: Vec<String> = Vec::new();
    if let Some(value) = non_null(fields.get("addresses")) {
        let addr_path = format!("{path}.addresses");
        for (k, address) in as_array(value, &addr_path)?.iter().enumerate() {
            let Some(address) = non_null(Some(address)) else {
                continue;
            };
            let address_path = format!("{addr_path}[{k}]");
            let address = as_object(address, &address_path)?;
            if let Some(country) = non_null(address.get("country")) {
                let country = as_str(country, &format!("{address_path}.country"))?.trim();
                let country = COUNTRY_ALIASES
                    .iter()
                    .find(|(spelled, _)| spelled.eq_ignore_ascii_case(country))
                    .map_or(country, |(_, code)| code);
                if !country.is_empty() && !countries.iter().any(|c| c == country) {
                    countries.push(country.to_owned());
                }
            }
        }
    }
    Ok(ListEntry {
        name,
        aliases,
        source: optional_string(fields, "source", path)?.unwrap_or_default(),
        countries,
        license_requirement: optional_string(fields, "license_requirement", path)?,
        license_policy: optional_string(fields, "license_policy", path)?,
        federal_register_notice: optional_string(fields, "federal_register_notice", path)?,
        entity_number: optional_string(fields, "entity_number", path)?,
        start_date: optional_string(fields, "start_date", path)?,
    })
}

fn non_null(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

/// Reads an optional text field. Numbers are accepted and kept in their JSON spelling, because
/// identifiers such as `entity_number` are numeric in some exports of the list.
fn optional_string(
    fields: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, CslError> {
    match non_null(fields.get(key)) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(CslError::WrongType {
            path: format!("{path}.{key}"),
            expected: "a string",
            found: type_name(other),
        }),
    }
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, CslError> {
    value.as_object().ok_or_else(|| CslError::WrongType {
        path: path.to_owned(),
        expected: "an object",
        found: type_name(value),
    })
}

fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, CslError> {
    value.as_array().ok_or_else(|| CslError::WrongType {
        path: path.to_owned(),
        expected: "an array",
        found: type_name(value),
    })
}

fn as_str<'a>(value: &'a Value, path: &str) -> Result<&'a str, CslError> {
    value.as_str().ok_or_else(|| CslError::WrongType {
        path: path.to_owned(),
        expected: "a string",
        found: type_name(value),
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_record() {
        let text = r#"{"total": 1, "results": [{
            "name": "BANK OF KUNLUN CO LTD",
            "alt_names": ["KARAMAY URBAN CREDIT COOPERATIVES", null, ""],
            "source": "Capta List (CAP) - Treasury Department",
            "addresses": [{"country": "CN"}, {"country": "PRC"}, {"city": "x"}, null],
            "license_requirement": "For all items subject to the EAR.",
            "license_policy": "Presumption of denial.",
            "federal_register_notice": "76 FR 71867",
            "entity_number": 15268,
            "start_date": "2020-01-02",
            "programs": ["561-Related"]
        }]}"#;
        let entries = parse_csl_json(text).unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.name, "BANK OF KUNLUN CO LTD");
        assert_eq!(e.aliases, vec!["KARAMAY URBAN CREDIT COOPERATIVES"]);
        assert_eq!(e.source, "Capta List (CAP) - Treasury Department");
        assert_eq!(e.countries, vec!["CN"]);
        assert_eq!(
            e.license_requirement.as_deref(),
            Some("For all items subject to the EAR.")
        );
        assert_eq!(e.license_policy.as_deref(), Some("Presumption of denial."));
        assert_eq!(e.federal_register_notice.as_deref(), Some("76 FR 71867"));
        assert_eq!(e.entity_number.as_deref(), Some("15268"));
        assert_eq!(e.start_date.as_deref(), Some("2020-01-02"));
    }

    #[test]
    fn null_and_missing_optional_fields_are_empty() {
        let text = r#"{"results": [{"name": "A", "alt_names": null, "addresses": null,
            "license_policy": null}, {"name": "B"}]}"#;
        let entries = parse_csl_json(text).unwrap();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].aliases.is_empty());
        assert!(entries[0].countries.is_empty());
        assert_eq!(entries[0].license_policy, None);
        assert_eq!(entries[1].source, "");
        assert_eq!(entries[1].start_date, None);
    }

    #[test]
    fn errors_name_the_place() {
        let missing_name = r#"{"results": [{"name": "A"}, {"source": "x"}]}"#;
        assert_eq!(
            parse_csl_json(missing_name).unwrap_err().to_string(),
            "`results[1].name` is missing: every CSL record needs a name"
        );
        let missing_results = r#"{"total": 0}"#;
        assert!(parse_csl_json(missing_results)
            .unwrap_err()
            .to_string()
            .starts_with("`results` is missing"));
        let wrong_alias = r#"{"results": [{"name": "A", "alt_names": ["x", 3]}]}"#;
        assert_eq!(
            parse_csl_json(wrong_alias).unwrap_err().to_string(),
            "`results[0].alt_names[1]` should be a string but is a number"
        );
        let not_object = r#"[1]"#;
        assert_eq!(
            parse_csl_json(not_object).unwrap_err().to_string(),
            "`(document root)` should be an object but is an array"
        );
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse_csl_json("{\n  \"results\": [,]\n}").unwrap_err();
        match &err {
            CslError::Syntax { line, column, .. } => {
                assert_eq!((*line, *column), (2, 15));
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert!(err.to_string().contains("(line 2, column 15)"), "{err}");
    }
}
