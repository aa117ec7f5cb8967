/**
 * The objection models: thin on purpose (table, columns, relations). Queries live in the features'
 * services so that the model layer stays replaceable.
 *
 * @module
 */
import { Model } from 'objection';

/** A user account: Django's `auth_user` columns. */
export class User extends Model {
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
      join: { from: 'auth_user.id', through: { from: 'auth_user_groups.user_id', to: 'auth_user_groups.group_id' }, to: 'auth_group.id' },
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
export class Group extends Model {
  static override tableName = 'auth_group';

  id!: number;
  name!: string;

  permissions?: Permission[];

  /** The group's permissions, through `auth_group_permissions`. */
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
  });
}

/** A permission: `codename` such as `view_user`, a human `name`, and the `model` it concerns. */
export class Permission extends Model {
  static override tableName = 'auth_permission';

  id!: number;
  name!: string;
  codename!: string;
  model!: string;
}

/** A refresh token that was issued (simplejwt's `OutstandingToken`), with the session it belongs to. */
export class OutstandingToken extends Model {
  static override tableName = 'token_blacklist_outstandingtoken';

  id!: number;
  user_id!: number | null;
  jti!: string;
  token!: string;
  created_at!: Date | null;
  expires_at!: Date;
  session_id!: string;
}

/** A blacklisted refresh token (simplejwt's `BlacklistedToken`). */
export class BlacklistedToken extends Model {
  static override tableName = 'token_blacklist_blacklistedtoken';

  id!: number;
  token_id!: number;
  blacklisted_at!: Date;
}
