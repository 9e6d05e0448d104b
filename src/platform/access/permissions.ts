/**
 * The permission catalog: `resource:action` codes. The database holds the same list in the global
 * `permissions` table (with descriptions), which role_permissions references; an e2e test keeps the two equal.
 */
export const PERMISSIONS = [
  'items:read',
  'items:write',
  'locations:read',
  'locations:write',
  'inventory:read',
  'inventory:write',
  'inventory:adjust',
  'counts:read',
  'counts:write',
  'counts:approve',
  'users:read',
  'users:write',
  'roles:read',
  'roles:write',
  'apikeys:read',
  'apikeys:write',
  'webhooks:read',
  'webhooks:write',
  'audit:read',
  'reports:read',
  'settings:read',
  'settings:write',
  'tenant:read',
  'tenant:export',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const READ_ONLY = PERMISSIONS.filter((code) => code.endsWith(':read'));

/** The five system roles every tenant gets at creation; they cannot be deleted. */
export const DEFAULT_ROLES: ReadonlyArray<{ name: string; description: string; permissions: Permission[] }> =
  [
    { name: 'Admin', description: 'Every permission of the tenant', permissions: [...PERMISSIONS] },
    {
      name: 'Manager',
      description: 'Master data, inventory and counts, including adjustments and count approval',
      permissions: [
        'items:read',
        'items:write',
        'locations:read',
        'locations:write',
        'inventory:read',
        'inventory:write',
        'inventory:adjust',
        'counts:read',
        'counts:write',
        'counts:approve',
        'reports:read',
        'settings:read',
        'tenant:read',
      ],
    },
    {
      name: 'Analyst',
      description: 'Read-only access to master data, inventory and counts, plus reports',
      permissions: [
        'items:read',
        'locations:read',
        'inventory:read',
        'counts:read',
        'reports:read',
        'tenant:read',
      ],
    },
    {
      name: 'Auditor',
      description: 'Read-only access to everything, including the audit log',
      permissions: [...READ_ONLY],
    },
    {
      name: 'Counter',
      description: 'Reads items and locations and enters counted quantities',
      permissions: ['items:read', 'locations:read', 'counts:read', 'counts:write'],
    },
  ];

export function isPermission(code: string): code is Permission {
  return (PERMISSIONS as readonly string[]).includes(code);
}
