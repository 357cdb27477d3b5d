//! Backend-aware building blocks shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A `CREATE TABLE IF NOT EXISTS` with the options every table gets:
/// InnoDB, utf8mb4 and a binary collation on MySQL; nothing extra on SQLite.
/// `IF NOT EXISTS` keeps a migration re-runnable after a crash half-way.
pub fn create(manager: &SchemaManager<'_>, name: impl IntoIden) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).if_not_exists();
    if manager.get_database_backend() == DbBackend::MySql {
        t.engine("InnoDB").character_set("utf8mb4").collate("utf8mb4_bin");
    }
    t
}

/// A UUID in its canonical 36-character text form.
pub fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string_len(36).not_null().to_owned()
}

/// An optional short string, for indexed columns (MySQL bounds index keys:
/// identity-core checks the 255-character limit before writing).
pub fn short(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string_len(255).null().to_owned()
}

/// An optional string of any length.
pub fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

/// Microseconds since the Unix epoch.
pub fn micros(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

/// Creates the index `name` on `cols` of `table` unless it exists (MySQL has
/// no `CREATE INDEX IF NOT EXISTS`; the catalogue is asked instead).
pub async fn index<T: IntoIden + 'static, C: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
    unique: bool,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    if manager.has_index(table.to_string(), name).await? {
        return Ok(());
    }
    let mut ix = Index::create();
    ix.name(name).table(table);
    for c in cols {
        ix.col(c);
    }
    if unique {
        ix.unique();
    }
    manager.create_index(ix).await
}

/// Adds `column` to `table` unless it is there already.
pub async fn add_column(manager: &SchemaManager<'_>, table: impl IntoIden, column: ColumnDef) -> Result<(), DbErr> {
    let table = table.into_iden();
    let name = column.get_column_name();
    if manager.has_column(table.to_string(), name).await? {
        return Ok(());
    }
    manager.alter_table(Table::alter().table(table).add_column(column).to_owned()).await
}
