//! A small SQL facade so head office's queries are written once and run on both
//! engines: SQLite (embedded, one file) and PostgreSQL (several processes on one
//! server). Queries use SQLite's `?N` placeholders (rewritten to `$N` for
//! PostgreSQL), values travel as [`Value`], and rows come back as [`Row`]s read with
//! `get`. The two schemas share table and column shapes (see
//! `migrations/headoffice-postgres/README.md`), so a query differs only where a
//! [`Dialect`] says so (row locks, the mint queue claim).

use crate::error::{Error, Result};

pub mod postgres;
pub(crate) mod sqlite;

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One SQL value, in or out.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

/// A connection or transaction of either engine.
pub trait Driver {
    fn dialect(&self) -> Dialect;
    /// Run one statement; the number of rows it changed.
    fn exec(&self, sql: &str, args: Vec<Value>) -> Result<usize>;
    /// Run one query; all its rows.
    fn rows(&self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>>;
    /// Run statements without arguments (savepoints, transaction control).
    fn batch(&self, sql: &str) -> Result<()>;
    /// Whether reads should lock the rows they return (a PostgreSQL write
    /// transaction, where another process may change them before commit).
    fn locking(&self) -> bool;
}

/// What the store modules take: any engine's connection.
pub type Connection = dyn Driver;

impl dyn Driver {
    pub fn execute(&self, sql: &str, p: impl Params) -> Result<usize> {
        self.exec(sql, p.into_values())
    }

    pub fn query_row<T>(
        &self,
        sql: &str,
        p: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        match self.rows(sql, p.into_values())?.first() {
            Some(r) => f(r),
            None => Err(Error::NoRows),
        }
    }

    /// A statement to run (named after rusqlite's; engines cache prepared plans).
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_string(),
        })
    }

    pub fn prepare(&self, sql: &str) -> Result<Stmt<'_>> {
        self.prepare_cached(sql)
    }

    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.batch(sql)
    }

    /// ` FOR UPDATE` when reads in this transaction must lock their rows, else "".
    pub fn for_update(&self) -> &'static str {
        if self.locking() { " FOR UPDATE" } else { "" }
    }

    /// ` FOR UPDATE OF {alias}` (a join's own table) when locking, else "".
    pub fn for_update_of(&self, alias: &str) -> String {
        if self.locking() {
            format!(" FOR UPDATE OF {alias}")
        } else {
            String::new()
        }
    }
}

/// A statement bound to a connection.
pub struct Stmt<'c> {
    conn: &'c Connection,
    sql: String,
}

impl Stmt<'_> {
    pub fn execute(&mut self, p: impl Params) -> Result<usize> {
        self.conn.exec(&self.sql, p.into_values())
    }

    pub fn query_row<T>(&mut self, p: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        self.conn.query_row(&self.sql, p, f)
    }

    pub fn query_map<T>(
        &mut self,
        p: impl Params,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.conn.rows(&self.sql, p.into_values())?;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    pub fn query(&mut self, p: impl Params) -> Result<Rows> {
        Ok(Rows {
            rows: self.conn.rows(&self.sql, p.into_values())?.into_iter(),
            current: None,
        })
    }

    pub fn exists(&mut self, p: impl Params) -> Result<bool> {
        Ok(!self.conn.rows(&self.sql, p.into_values())?.is_empty())
    }
}

/// Rows of a query, walked with `next`.
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    vals: Vec<Value>,
}

impl Row {
    pub fn new(vals: Vec<Value>) -> Self {
        Row { vals }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.vals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    pub fn get<T: FromValue>(&self, idx: usize) -> Result<T> {
        let v = self
            .vals
            .get(idx)
            .ok_or_else(|| Error::Storage(format!("no column {idx}")))?;
        T::from_value(v).map_err(|e| Error::Storage(format!("column {idx}: {e}")))
    }
}

/// `Result<T>` → `Result<Option<T>>`: no row is `None`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

// ------------------------------------------------------------------ values in

pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_to_value!(i64, i32, i16, u32, u16, u8);

impl ToValue for u64 {
    fn to_value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

/// Arguments of a statement.
pub trait Params {
    fn into_values(self) -> Vec<Value>;
}

impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}

impl Params for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }
}

impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToValue::to_value).collect()
    }
}

/// Statement arguments: `params![a, b]` (each taken by reference).
#[macro_export]
macro_rules! params {
    () => { ::std::vec::Vec::<$crate::db::Value>::new() };
    ($($x:expr),+ $(,)?) => { ::std::vec![$($crate::db::ToValue::to_value(&$x)),+] };
}

// ------------------------------------------------------------------ values out

pub trait FromValue: Sized {
    fn from_value(v: &Value) -> std::result::Result<Self, String>;
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for Value {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        Ok(v.clone())
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Int(i) => Ok(*i != 0),
            other => Err(format!("expected a flag, found {other:?}")),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i64::from(*b)),
            // PostgreSQL's SUM of integers is NUMERIC, read as its text.
            Value::Text(s) => s
                .parse::<i64>()
                .map_err(|_| format!("expected an integer, found {s:?}")),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> std::result::Result<Self, String> {
                let i = i64::from_value(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} out of range"))
            }
        }
    )*};
}
int_from_value!(i32, u32, u64, u16, u8);

/// `?N` placeholders (SQLite's) as `$N` (PostgreSQL's), outside string literals.
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut in_str = false;
    let mut next_bare = 1usize;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_str = !in_str;
                out.push(c);
            }
            '?' if !in_str => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_literals() {
        assert_eq!(
            dollar_placeholders("SELECT '?1', x FROM t WHERE a = ?1 AND b = ?12 OR c = ?"),
            "SELECT '?1', x FROM t WHERE a = $1 AND b = $12 OR c = $1"
        );
    }

    #[test]
    fn values_convert_both_ways() {
        let r = Row::new(vec![
            Value::Int(1),
            Value::Bool(true),
            Value::Text("42".into()),
            Value::Null,
        ]);
        assert!(r.get::<bool>(0).expect("int flag"));
        assert!(r.get::<bool>(1).expect("bool flag"));
        assert_eq!(r.get::<i64>(2).expect("numeric text"), 42);
        assert_eq!(r.get::<Option<String>>(3).expect("null"), None);
        assert!(r.get::<u32>(3).is_err());
        assert!(r.get::<String>(9).is_err());
        assert_eq!(params![5u32, "a", None::<String>, true].len(), 4);
    }
}
