/**
 * The objection models: thin on purpose (table, columns, relations, JSON columns). Queries live in
 * the features' services so that the model layer stays replaceable.
 *
 * No model is bound to a knex instance: every query names the one it runs on
 * (`User.query(db)`, `user.$relatedQuery('groups', trx)`), because tests open several databases in
 * one process and a global `Model.knex()` would send one's queries to another.
 *
 * @module
 */
import { Model } from 'objection';

/**
 * What every model shares: `first()` adds `LIMIT 1` (objection's default fetches every row and
 * keeps the first).
 */
export abstract class BaseModel extends Model {
  static override useLimitInFirst = true;
}

/** A user account: Django's `auth_user` columns. */
export class User extends BaseModel {
  static override tableName = 'auth_user';

  id!: number;
  password!: string;
  last_login!: Date | null;
  is_superuser!: boolean;
  username!: string;
  first_name!: string;
  last_name!: string;
  email!: string;
  is_staff!: boolean;
  is_active!: boolean;
  date_joined!: Date;

  groups?: Group[];
  user_permissions?: Permission[];

  /** The user's groups and direct permissions, through Django's join tables. */
  static override relationMappings = () => ({
    groups: {
      relation: Model.ManyToManyRelation,
      modelClass: Group,
      join: {
        from: 'auth_user.id',
        through: { from: 'auth_user_groups.user_id', to: 'auth_user_groups.group_id' },
        to: 'auth_group.id',
      },
    },
    user_permissions: {
      relation: Model.ManyToManyRelation,
      modelClass: Permission,
      join: {
        from: 'auth_user.id',
        through: { from: 'auth_user_user_permissions.user_id', to: 'auth_user_user_permissions.permission_id' },
        to: 'auth_permission.id',
      },
    },
  });
}

/** A group (role) of users sharing permissions: `auth_group`. */
export class Group extends BaseModel {
  static override tableName = 'auth_group';

  id!: number;
  name!: string;

  permissions?: Permission[];
  users?: User[];

  /** The group's permissions, through `auth_group_permissions`, and its members. */
  static override relationMappings = () => ({
    permissions: {
      relation: Model.ManyToManyRelation,
      modelClass: Permission,
      join: {
        from: 'auth_group.id',
        through: { from: 'auth_group_permissions.group_id', to: 'auth_group_permissions.permission_id' },
        to: 'auth_permission.id',
      },
    },
    users: {
      relation: Model.ManyToManyRelation,
      modelClass: User,
      join: {
        from: 'auth_group.id',
        through: { from: 'auth_user_groups.group_id', to: 'auth_user_groups.user_id' },
        to: 'auth_user.id',
      },
    },
  });
}

/** A permission: `codename` such as `view_user`, a human `name`, and the `model` it concerns. */
export class Permission extends BaseModel {
  static override tableName = 'auth_permission';

  id!: number;
  name!: string;
  codename!: string;
  model!: string;
}

/** An uploaded file's row (`files`): its name, size, type, owner and object key in the store. */
export class StoredFile extends BaseModel {
  static override tableName = 'files';

  id!: string;
  name!: string;
  /** `bigint`: a string from `pg`, a number from PGlite. */
  size!: number | string;
  content_type!: string;
  owner_id!: number | null;
  object_key!: string;
  created_at!: Date | string;
}

/** An entry of the admin panel's audit log (`admin_log`, Django's `django_admin_log`). */
export class AdminLogEntry extends BaseModel {
  static override tableName = 'admin_log';
  /** `details` is `jsonb`: objection serializes it on the way in. */
  static override jsonAttributes = ['details'];

  id!: number;
  actor_id!: number | null;
  actor_username!: string;
  action!: string;
  target_type!: string;
  target_id!: string | null;
  target_repr!: string;
  details!: Record<string, unknown>;
  created_at!: Date;
}

/** A refresh token that was issued (simplejwt's `OutstandingToken`), with the session it belongs to. */
export class OutstandingToken extends BaseModel {
  static override tableName = 'token_blacklist_outstandingtoken';

  id!: number;
  user_id!: number | null;
  jti!: string;
  token!: string;
  created_at!: Date | null;
  expires_at!: Date;
  session_id!: string;

  user?: User | null;
  blacklisted?: BlacklistedToken | null;

  /** The token's user (none once deleted) and its blacklist row (none while usable). */
  static override relationMappings = () => ({
    user: {
      relation: Model.BelongsToOneRelation,
      modelClass: User,
      join: { from: 'token_blacklist_outstandingtoken.user_id', to: 'auth_user.id' },
    },
    blacklisted: {
      relation: Model.HasOneRelation,
      modelClass: BlacklistedToken,
      join: { from: 'token_blacklist_outstandingtoken.id', to: 'token_blacklist_blacklistedtoken.token_id' },
    },
  });
}

/** A blacklisted refresh token (simplejwt's `BlacklistedToken`). */
export class BlacklistedToken extends BaseModel {
  static override tableName = 'token_blacklist_blacklistedtoken';

  id!: number;
  token_id!: number;
  blacklisted_at!: Date;
}
