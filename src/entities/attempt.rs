use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub number: i32,
    pub state: String,
    pub seed: i64,
    pub started_at: DateTimeUtc,
    pub deadline: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub score: Option<f64>,
    pub correct: Option<i32>,
    pub total: i32,
    pub passed: Option<bool>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
