use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub enrolled_at: DateTimeUtc,
    /// First lesson opened or first day attended.
    pub took_part_at: Option<DateTimeUtc>,
    /// Eligible as of the class's end (or now, while it runs).
    pub eligible: Option<bool>,
    pub evaluated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
