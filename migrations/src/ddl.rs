//! Backend-aware building blocks shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A `CREATE TABLE` with the options every table gets: InnoDB, utf8mb4 and a
/// binary collation on MySQL; nothing extra on SQLite.
pub fn create(manager: &SchemaManager<'_>, name: impl IntoIden) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name);
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
