//! identity.v1 gave `Mutability` and `Returned` an UNSPECIFIED zero value,
//! shifting every other value up by one. Stored extension schemas
//! (`tenant_schemas.definition`, protobuf-encoded `identity.v1.Schema`) are
//! rewritten to the new numbers: an attribute's mutability and returned
//! each go from n to n + 1 (an absent value, the old zero, becomes 1:
//! readWrite / default). One transaction, so a crash leaves no row
//! half-way and a rerun starts over.

use prost::Message;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantSchemas {
    Table,
    TenantId,
    Urn,
    Definition,
}

/// `identity.v1.Schema` as stored (every field, so nothing is dropped).
#[derive(Clone, PartialEq, Message)]
struct Schema {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, tag = "3")]
    description: String,
    #[prost(int32, tag = "4")]
    resource_type: i32,
    #[prost(message, repeated, tag = "5")]
    attributes: Vec<AttributeDefinition>,
}

/// `identity.v1.AttributeDefinition` as stored.
#[derive(Clone, PartialEq, Message)]
struct AttributeDefinition {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(int32, tag = "2")]
    r#type: i32,
    #[prost(bool, tag = "3")]
    multi_valued: bool,
    #[prost(bool, tag = "4")]
    required: bool,
    #[prost(bool, tag = "5")]
    case_exact: bool,
    #[prost(int32, tag = "6")]
    mutability: i32,
    #[prost(int32, tag = "7")]
    returned: i32,
    #[prost(string, repeated, tag = "8")]
    canonical_values: Vec<String>,
    #[prost(string, tag = "9")]
    description: String,
}

/// The definition with the new enum numbers.
fn renumber(stored: &[u8]) -> Result<Vec<u8>, DbErr> {
    let mut schema =
        Schema::decode(stored).map_err(|e| DbErr::Migration(format!("a stored schema does not decode: {e}")))?;
    for a in &mut schema.attributes {
        a.mutability += 1;
        a.returned += 1;
    }
    Ok(schema.encode_to_vec())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let select = Query::select()
            .columns([TenantSchemas::TenantId, TenantSchemas::Urn, TenantSchemas::Definition])
            .from(TenantSchemas::Table)
            .to_owned();
        for row in db.query_all(&select).await? {
            let tenant: String = row.try_get_by_index(0)?;
            let urn: String = row.try_get_by_index(1)?;
            let definition: Vec<u8> = row.try_get_by_index(2)?;
            let update = Query::update()
                .table(TenantSchemas::Table)
                .value(TenantSchemas::Definition, renumber(&definition)?)
                .and_where(Expr::col(TenantSchemas::TenantId).eq(tenant))
                .and_where(Expr::col(TenantSchemas::Urn).eq(urn))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_numbers_move_up_by_one_and_the_rest_survives() {
        let old = Schema {
            id: "urn:acme:2.0:User".into(),
            name: "Acme".into(),
            resource_type: 1,
            attributes: vec![
                AttributeDefinition { name: "badge".into(), mutability: 0, returned: 0, ..Default::default() },
                AttributeDefinition {
                    name: "secret".into(),
                    mutability: 3,
                    returned: 2,
                    canonical_values: vec!["a".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let new = Schema::decode(renumber(&old.encode_to_vec()).unwrap().as_slice()).unwrap();
        let got: Vec<(i32, i32)> = new.attributes.iter().map(|a| (a.mutability, a.returned)).collect();
        assert_eq!(got, [(1, 1), (4, 3)], "readWrite/default, then writeOnly/never");
        assert_eq!((new.id.as_str(), new.attributes[1].canonical_values.len()), ("urn:acme:2.0:User", 1));
    }
}
