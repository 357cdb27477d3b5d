//! Bounded statements: multi-row INSERTs split so that no statement has
//! more than [`MAX_PLACEHOLDERS`] bind parameters (MySQL refuses more than
//! 65,535, SQLite more than 32,766 by default), whatever the request held.
//! `IN (…)` lists are cut at [`IN_CHUNK`](crate::domain::limits::IN_CHUNK)
//! by their callers.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Iterable};

use crate::domain::limits::rows_per_insert;
use crate::error::Result;

/// Inserts `rows` in as many multi-row INSERTs as the placeholder limit
/// needs (none for no rows).
pub async fn insert<A, C>(conn: &C, rows: &[A]) -> Result<()>
where
    A: ActiveModelTrait + Clone + Send,
    C: ConnectionTrait,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count();
    for part in rows.chunks(rows_per_insert(columns)) {
        A::Entity::insert_many(part.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::entities::user_values;
    use super::*;
    use crate::domain::limits::MAX_PLACEHOLDERS;

    #[test]
    fn a_user_values_insert_fits_the_placeholder_limit() {
        let columns = user_values::Column::iter().count();
        assert!(columns > 10);
        assert!(rows_per_insert(columns) * columns <= MAX_PLACEHOLDERS);
    }
}
