//! The signing keys: one current key signs, the one before it still verifies the tokens it
//! signed (a rotation never cuts anyone off); older keys are retired.

use chrono::Utc;
use ogi_platform::auth::token::SigningKeyPair;
use ogi_proto::v1 as pb;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entities::signing_keys;

pub struct KeyRing {
    pub current: SigningKeyPair,
    /// Key id and public key of every key that still verifies (current first).
    pub verifying: Vec<(String, Vec<u8>)>,
}

fn new_kid() -> String {
    format!("k{}", Utc::now().format("%Y%m%d%H%M%S%3f"))
}

impl KeyRing {
    /// The stored keys, a first one created when there is none.
    pub async fn load_or_create(db: &DatabaseConnection) -> anyhow::Result<KeyRing> {
        if let Some(ring) = Self::load(db).await? {
            return Ok(ring);
        }
        Self::rotate(db).await
    }

    async fn load(db: &DatabaseConnection) -> anyhow::Result<Option<KeyRing>> {
        let rows = signing_keys::Entity::find()
            .filter(signing_keys::Column::RetiredAt.is_null())
            .order_by_desc(signing_keys::Column::CreatedAt)
            .all(db)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let current = SigningKeyPair::from_pkcs8(first.kid.clone(), &first.pkcs8)?;
        let mut verifying = Vec::new();
        for row in &rows {
            let pair = SigningKeyPair::from_pkcs8(row.kid.clone(), &row.pkcs8)?;
            verifying.push((row.kid.clone(), pair.public_key()));
        }
        Ok(Some(KeyRing { current, verifying }))
    }

    /// A new current key; the previous current key keeps verifying, older ones are retired.
    pub async fn rotate(db: &DatabaseConnection) -> anyhow::Result<KeyRing> {
        let key = SigningKeyPair::generate(new_kid())?;
        let now = Utc::now();
        let live = signing_keys::Entity::find()
            .filter(signing_keys::Column::RetiredAt.is_null())
            .order_by_desc(signing_keys::Column::CreatedAt)
            .all(db)
            .await?;
        for old in live.into_iter().skip(1) {
            let mut row: signing_keys::ActiveModel = old.into();
            row.retired_at = Set(Some(now));
            row.update(db).await?;
        }
        signing_keys::ActiveModel {
            kid: Set(key.kid.clone()),
            pkcs8: Set(key.pkcs8().to_vec()),
            created_at: Set(now),
            retired_at: Set(None),
        }
        .insert(db)
        .await?;
        Self::load(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the new signing key was not stored"))
    }

    /// The keys of a mounted Secret: every `<key id>.pem`, the one named in `current` signing.
    pub fn from_dir(dir: &std::path::Path) -> anyhow::Result<KeyRing> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| anyhow::anyhow!("signing keys {}: {name}: {e}", dir.display()))
        };
        let current_kid = read("current")?.trim().to_string();
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            // Kubernetes mounts a Secret's keys as symlinks into a `..data` directory.
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(kid) = name.strip_suffix(".pem").filter(|k| !k.starts_with('.')) else {
                continue;
            };
            keys.push(SigningKeyPair::from_pem(kid.to_string(), &read(name)?)?);
        }
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        let position = keys
            .iter()
            .position(|k| k.kid == current_kid)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "signing keys {}: `current` names {current_kid}, which has no {current_kid}.pem",
                    dir.display()
                )
            })?;
        let current = keys.remove(position);
        let mut verifying = vec![(current.kid.clone(), current.public_key())];
        verifying.extend(keys.iter().map(|k| (k.kid.clone(), k.public_key())));
        Ok(KeyRing { current, verifying })
    }

    pub fn published(&self) -> pb::SigningKeys {
        pb::SigningKeys {
            keys: self
                .verifying
                .iter()
                .map(|(kid, public)| pb::SigningKey {
                    key_id: kid.clone(),
                    algorithm: "EdDSA".into(),
                    public_key: public.clone(),
                    current: *kid == self.current.kid,
                })
                .collect(),
        }
    }

    pub fn verifying_map(&self) -> std::collections::HashMap<String, Vec<u8>> {
        self.verifying.iter().cloned().collect()
    }
}
