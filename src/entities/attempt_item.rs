use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attempt_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub attempt_id: Uuid,
    pub question_id: Uuid,
    pub question_version_id: Uuid,
    pub position: i32,
    /// JSON array of option ids in the order shown.
    pub option_order: String,
    /// JSON array of the option ids the candidate chose.
    pub selected: Option<String>,
    /// 0..1 once graded.
    pub credit: Option<f64>,
    pub graded_at: Option<DateTimeUtc>,
    /// When the candidate last saved this answer (server time).
    pub saved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
