//! Tenants, their API tokens, users (with their multi-valued attributes) and
//! groups (with one row per membership).

use sea_orm_migration::prelude::*;

use crate::ddl::{create, index, micros, short, text, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    Mode,
    CreatedUs,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    TokenHash,
    TenantId,
    CreatedUs,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TenantId,
    Id,
    UserName,
    UserNameLower,
    ExternalId,
    DisplayName,
    NickName,
    ProfileUrl,
    Title,
    UserType,
    PreferredLanguage,
    Locale,
    Timezone,
    Active,
    NameFormatted,
    NameFamilyName,
    NameGivenName,
    NameMiddleName,
    NameHonorificPrefix,
    NameHonorificSuffix,
    EmployeeNumber,
    CostCenter,
    Organization,
    Division,
    Department,
    ManagerValue,
    ManagerDisplayName,
    Version,
    CreatedUs,
    ModifiedUs,
}

#[derive(DeriveIden)]
enum UserValues {
    Table,
    TenantId,
    UserId,
    Attr,
    Ordinal,
    Value,
    ValueLower,
    Kind,
    Display,
    IsPrimary,
    Formatted,
    StreetAddress,
    Locality,
    Region,
    PostalCode,
    Country,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    TenantId,
    Id,
    DisplayName,
    DisplayNameLower,
    ExternalId,
    Version,
    CreatedUs,
    ModifiedUs,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    TenantId,
    GroupId,
    MemberId,
    MemberType,
    CreatedUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                create(manager, Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(ColumnDef::new(Tenants::Name).string_len(255).not_null().unique_key())
                    .col(ColumnDef::new(Tenants::Mode).string_len(16).not_null().default("lenient"))
                    .col(micros(Tenants::CreatedUs))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                create(manager, ApiTokens::Table)
                    .col(ColumnDef::new(ApiTokens::TokenHash).string_len(64).not_null().primary_key())
                    .col(uuid(ApiTokens::TenantId))
                    .col(micros(ApiTokens::CreatedUs))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_api_tokens_tenant", ApiTokens::Table, [ApiTokens::TenantId], false).await?;

        let mut users = create(manager, Users::Table);
        users
            .col(uuid(Users::TenantId))
            .col(uuid(Users::Id))
            .col(ColumnDef::new(Users::UserName).string_len(255).not_null())
            .col(ColumnDef::new(Users::UserNameLower).string_len(255).not_null())
            .col(short(Users::ExternalId));
        for c in [
            Users::DisplayName,
            Users::NickName,
            Users::ProfileUrl,
            Users::Title,
            Users::UserType,
            Users::PreferredLanguage,
            Users::Locale,
            Users::Timezone,
        ] {
            users.col(text(c));
        }
        users.col(ColumnDef::new(Users::Active).boolean().null());
        for c in [
            Users::NameFormatted,
            Users::NameFamilyName,
            Users::NameGivenName,
            Users::NameMiddleName,
            Users::NameHonorificPrefix,
            Users::NameHonorificSuffix,
            Users::EmployeeNumber,
            Users::CostCenter,
            Users::Organization,
            Users::Division,
            Users::Department,
            Users::ManagerValue,
            Users::ManagerDisplayName,
        ] {
            users.col(text(c));
        }
        users
            .col(ColumnDef::new(Users::Version).big_integer().not_null())
            .col(micros(Users::CreatedUs))
            .col(micros(Users::ModifiedUs))
            .primary_key(Index::create().col(Users::TenantId).col(Users::Id));
        manager.create_table(users).await?;
        index(manager, "ux_users_user_name", Users::Table, [Users::TenantId, Users::UserNameLower], true).await?;
        index(manager, "ix_users_external_id", Users::Table, [Users::TenantId, Users::ExternalId], false).await?;
        index(manager, "ix_users_modified", Users::Table, [Users::TenantId, Users::ModifiedUs], false).await?;

        manager
            .create_table(
                create(manager, UserValues::Table)
                    .col(uuid(UserValues::TenantId))
                    .col(uuid(UserValues::UserId))
                    .col(ColumnDef::new(UserValues::Attr).string_len(24).not_null())
                    .col(ColumnDef::new(UserValues::Ordinal).integer().not_null())
                    .col(text(UserValues::Value))
                    .col(short(UserValues::ValueLower))
                    .col(text(UserValues::Kind))
                    .col(text(UserValues::Display))
                    .col(ColumnDef::new(UserValues::IsPrimary).boolean().not_null().default(false))
                    .col(text(UserValues::Formatted))
                    .col(text(UserValues::StreetAddress))
                    .col(text(UserValues::Locality))
                    .col(text(UserValues::Region))
                    .col(text(UserValues::PostalCode))
                    .col(text(UserValues::Country))
                    .primary_key(
                        Index::create()
                            .col(UserValues::TenantId)
                            .col(UserValues::UserId)
                            .col(UserValues::Attr)
                            .col(UserValues::Ordinal),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_user_values_value",
            UserValues::Table,
            [UserValues::TenantId, UserValues::Attr, UserValues::ValueLower],
            false,
        )
        .await?;

        manager
            .create_table(
                create(manager, Groups::Table)
                    .col(uuid(Groups::TenantId))
                    .col(uuid(Groups::Id))
                    .col(ColumnDef::new(Groups::DisplayName).text().not_null())
                    .col(ColumnDef::new(Groups::DisplayNameLower).string_len(255).not_null())
                    .col(short(Groups::ExternalId))
                    .col(ColumnDef::new(Groups::Version).big_integer().not_null())
                    .col(micros(Groups::CreatedUs))
                    .col(micros(Groups::ModifiedUs))
                    .primary_key(Index::create().col(Groups::TenantId).col(Groups::Id))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_groups_display_name", Groups::Table, [Groups::TenantId, Groups::DisplayNameLower], false)
            .await?;
        index(manager, "ix_groups_external_id", Groups::Table, [Groups::TenantId, Groups::ExternalId], false).await?;
        index(manager, "ix_groups_modified", Groups::Table, [Groups::TenantId, Groups::ModifiedUs], false).await?;

        manager
            .create_table(
                create(manager, GroupMembers::Table)
                    .col(uuid(GroupMembers::TenantId))
                    .col(uuid(GroupMembers::GroupId))
                    .col(uuid(GroupMembers::MemberId))
                    .col(ColumnDef::new(GroupMembers::MemberType).string_len(8).not_null())
                    .col(micros(GroupMembers::CreatedUs))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::TenantId)
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::MemberId),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_group_members_member",
            GroupMembers::Table,
            [GroupMembers::TenantId, GroupMembers::MemberId],
            false,
        )
        .await?;
        Ok(())
    }
}
