import { expect } from 'chai';
import { files } from '../../src/files/resource.js';
import { allows } from '../../src/resources/access.js';
import { metadataOf } from '../../src/http/route-metadata.js';
import { requirePermission } from '../../src/permissions/guard.js';
import { PermissionDeniedError } from '../../src/errors.js';
import {
  authorize,
  can,
  NO_CHANGE,
  SYSTEM_ACTOR,
  type Action,
  type ActionSubjects,
  type Actor,
  type UserChange,
  type UserSubject,
} from '../../src/permissions/policy.js';

// The delegation rules as a table, without HTTP: who (actor) may do what (action) to whom (subject).

const actor = (overrides: Partial<Actor> & { permissions?: ReadonlySet<string> }): Actor => ({
  id: 1,
  is_active: true,
  is_staff: true,
  is_superuser: false,
  permissions: new Set(),
  ...overrides,
});
const perms = (...codenames: string[]) => new Set(codenames);
const target = (overrides: Partial<UserSubject> = {}): UserSubject => ({
  id: 2,
  is_superuser: false,
  permissions: perms(),
  ...overrides,
});
const change = (overrides: Partial<UserChange> = {}): UserChange => ({ ...NO_CHANGE, ...overrides });

const superuser = actor({ is_superuser: true });
const manager = actor({
  permissions: perms(
    'add_user',
    'change_user',
    'view_user',
    'delete_user',
    'blacklist_token',
    'change_group',
    'add_group',
  ),
});
const nonStaffManager = actor({ is_staff: false, permissions: manager.permissions });
const inactiveManager = actor({ is_active: false, permissions: manager.permissions });
const root = target({
  is_superuser: true,
  permissions: perms('add_user', 'change_user', 'view_user', 'delete_user', 'blacklist_token', 'view_file'),
});
const peer = target({ permissions: perms('view_user') });
const stronger = target({ permissions: perms('view_user', 'view_file') });
const self = target({ id: 1, permissions: manager.permissions });

const uploader = actor({ id: 3, is_staff: false });
const fileViewer = actor({ id: 4, is_staff: false, permissions: perms('view_file') });
const fileDeleter = actor({ id: 5, is_staff: false, permissions: perms('delete_file') });
const ownFile = { owner_id: 3 };
const othersFile = { owner_id: 9 };
const ownerless = { owner_id: null };

type Row = { [A in Action]: [string, Actor, A, ActionSubjects[A], boolean] }[Action];

const table: Row[] = [
  // Superusers and the CLI may do anything.
  [
    'superuser grants superuser status',
    superuser,
    'add_user',
    { change: change({ makesSuperuser: true, makesStaff: true }) },
    true,
  ],
  [
    'superuser changes a superuser',
    superuser,
    'change_user',
    { target: root, change: change({ altersPrivileges: true }) },
    true,
  ],
  [
    'superuser changes its own privileges',
    superuser,
    'change_user',
    { target: target({ id: 1, is_superuser: true }), change: change({ altersPrivileges: true }) },
    true,
  ],
  ['CLI deletes a superuser', SYSTEM_ACTOR, 'delete_user', { target: root }, true],
  [
    'CLI gives a group any permission',
    SYSTEM_ACTOR,
    'change_group',
    { grants: perms('view_file', 'delete_file') },
    true,
  ],

  // Granting: only what the actor holds.
  [
    'manager creates a user with held permissions',
    manager,
    'add_user',
    { change: change({ grants: perms('view_user') }) },
    true,
  ],
  [
    'manager creates a user with a permission it lacks',
    manager,
    'add_user',
    { change: change({ grants: perms('view_file') }) },
    false,
  ],
  ['manager creates a superuser', manager, 'add_user', { change: change({ makesSuperuser: true }) }, false],
  ['staff manager creates a staff user', manager, 'add_user', { change: change({ makesStaff: true }) }, true],
  [
    'non-staff manager creates a staff user',
    nonStaffManager,
    'add_user',
    { change: change({ makesStaff: true }) },
    false,
  ],
  [
    'manager puts a peer in a group granting what it holds',
    manager,
    'change_user',
    { target: peer, change: change({ grants: perms('view_user'), altersPrivileges: true }) },
    true,
  ],
  [
    'manager puts a peer in a group granting what it lacks',
    manager,
    'change_user',
    { target: peer, change: change({ grants: perms('delete_file'), altersPrivileges: true }) },
    false,
  ],
  [
    'manager makes a peer a superuser',
    manager,
    'change_user',
    { target: peer, change: change({ makesSuperuser: true, altersPrivileges: true }) },
    false,
  ],
  ['manager adds a held permission to a group', manager, 'change_group', { grants: perms('view_user') }, true],
  [
    'manager adds a permission it lacks to a group (its own included)',
    manager,
    'change_group',
    { grants: perms('view_user', 'delete_file') },
    false,
  ],
  ['manager changes a group without adding permissions', manager, 'change_group', { grants: perms() }, true],

  // Its own privileges: never.
  ['manager changes its own name', manager, 'change_user', { target: self, change: change() }, true],
  [
    'manager changes its own groups',
    manager,
    'change_user',
    { target: self, change: change({ altersPrivileges: true }) },
    false,
  ],
  [
    'manager drops its own staff flag',
    manager,
    'change_user',
    { target: self, change: change({ altersPrivileges: true }) },
    false,
  ],

  // Acting on a user: not on a superuser, not on anyone holding what the actor lacks.
  ['manager changes a peer', manager, 'change_user', { target: peer, change: change() }, true],
  ['manager changes a superuser', manager, 'change_user', { target: root, change: change() }, false],
  [
    'manager sets the password of a user with more rights',
    manager,
    'change_user',
    { target: stronger, change: change() },
    false,
  ],
  ['manager deletes a peer', manager, 'delete_user', { target: peer }, true],
  ['manager deletes a superuser', manager, 'delete_user', { target: root }, false],
  ['manager logs a peer out everywhere', manager, 'logout_user', { target: peer }, true],
  ['manager logs a superuser out everywhere', manager, 'logout_user', { target: root }, false],
  ['manager logs itself out everywhere', manager, 'logout_user', { target: self }, true],
  ['manager sends a peer a reset link', manager, 'send_password_reset', { target: peer }, true],
  ['manager sends a superuser a reset link', manager, 'send_password_reset', { target: root }, false],

  // An inactive actor may do nothing, superuser or not.
  ['inactive manager changes a peer', inactiveManager, 'change_user', { target: peer, change: change() }, false],
  [
    'inactive superuser deletes a peer',
    actor({ is_active: false, is_superuser: true }),
    'delete_user',
    { target: peer },
    false,
  ],
  ['inactive manager creates a plain user', inactiveManager, 'add_user', { change: change() }, false],

  // The admin panel: staff only, whatever the permissions.
  ['staff user enters the admin', manager, 'use_admin', {}, true],
  ['non-staff user with permissions enters the admin', nonStaffManager, 'use_admin', {}, false],
];

describe('delegation policy', () => {
  for (const [name, who, action, subject, allowed] of table) {
    it(`${allowed ? 'allows' : 'refuses'}: ${name}`, () => {
      expect(can(who, action, subject as never)).to.equal(allowed);
    });
  }
});

// Files are a declared resource: the owner, or a holder of view_file / delete_file (ownerRules).
const fileTable: [string, Actor, 'view' | 'delete', { owner_id: number | null }, boolean][] = [
  ['owner sees its file', uploader, 'view', ownFile, true],
  ['owner deletes its file', uploader, 'delete', ownFile, true],
  ["user sees another user's file", uploader, 'view', othersFile, false],
  ["user deletes another user's file", uploader, 'delete', othersFile, false],
  ['user sees an ownerless file', uploader, 'view', ownerless, false],
  ["view_file holder sees another user's file", fileViewer, 'view', othersFile, true],
  ["view_file holder deletes another user's file", fileViewer, 'delete', othersFile, false],
  ["delete_file holder deletes another user's file", fileDeleter, 'delete', othersFile, true],
  ['superuser sees every file', superuser, 'view', ownerless, true],
  [
    "inactive view_file holder sees another user's file",
    actor({ id: 3, is_active: false, permissions: perms('view_file') }),
    'view',
    othersFile,
    false,
  ],
  ['CLI deletes an ownerless file', SYSTEM_ACTOR, 'delete', ownerless, true],
];

describe('file access (the files resource)', () => {
  for (const [name, who, rule, file, allowed] of fileTable) {
    it(`${allowed ? 'allows' : 'refuses'}: ${name}`, () => {
      expect(allows(files.access[rule](who), file)).to.equal(allowed);
    });
  }

  it('lists every file only with view_file: the others get a scope of their own rows', () => {
    expect(files.access.view(uploader)).to.deep.equal({ owner_id: 3 });
    expect(files.access.view(fileViewer)).to.equal(true);
    expect(files.access.view(superuser)).to.equal(true);
  });
});

describe('authorize()', () => {
  it('returns when the policy allows the action', () => {
    expect(() => authorize(manager, 'delete_user', { target: peer })).not.to.throw();
  });

  it('throws the domain "permission denied" with DRF\'s wording when it refuses', () => {
    expect(() => authorize(manager, 'delete_user', { target: root }))
      .to.throw(PermissionDeniedError)
      .with.property('message', 'You do not have permission to perform this action.');
  });

  it('refuses an action that has no rule', () => {
    expect(() => can(manager, 'fly' as Action, {} as never)).to.throw(/unknown action fly/);
  });
});

describe('requirePermission()', () => {
  it('takes only codenames that exist: a typo is a compile error (npm run typecheck fails without the error below)', () => {
    expect(metadataOf(requirePermission('view_user'))).to.deep.equal({ permission: 'view_user' });
    expect(metadataOf(requirePermission('blacklist_token'))).to.deep.equal({ permission: 'blacklist_token' });
    // @ts-expect-error — no model "usr"
    expect(metadataOf(requirePermission('view_usr'))).to.deep.equal({ permission: 'view_usr' });
    // @ts-expect-error — no verb "read"
    expect(metadataOf(requirePermission('read_user'))).to.deep.equal({ permission: 'read_user' });
  });
});
