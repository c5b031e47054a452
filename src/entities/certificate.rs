use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    #[sea_orm(unique)]
    pub serial: String,
    pub year: i32,
    pub register_number: i32,
    pub level: String,
    pub user_id: Uuid,
    pub attempt_id: Uuid,
    pub session_id: Uuid,
    pub holder_full_name: String,
    pub holder_date_of_birth: Option<Date>,
    pub holder_place_of_birth: Option<String>,
    pub holder_sex: Option<String>,
    pub session_title: String,
    pub exam_date: Date,
    pub score: f64,
    pub max_score: f64,
    pub centre_code: String,
    pub centre_name: String,
    pub centre_address: String,
    pub signer_name: String,
    pub signer_title: String,
    pub issued_on: Date,
    pub issued_at: DateTimeUtc,
    pub issued_by: Option<Uuid>,
    pub status_list: i32,
    pub status_index: i32,
    pub credential: String,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_on: Option<Date>,
    pub revocation_reason: Option<String>,
    pub revocation_note: Option<String>,
    pub revoked_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
