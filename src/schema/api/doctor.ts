/** GET /v1/doctor: the deployment's checks, one line each, with what to do about a failing one. */
import { z } from 'zod';

export const EXAMPLE_DOCTOR = {
  ok: false,
  checks: [
    {
      name: 'credentials',
      status: 'pass',
      detail:
        'STS credentials (with a security token) from the function role (FC invocation context); the ECS and store checks below show whether they are accepted',
      fix: null,
    },
    {
      name: 'ecs.describe-tasks:cn-hangzhou',
      status: 'pass',
      detail: 'allowed: ECS answered DescribeTasks in cn-hangzhou (0 tasks created in the last minute)',
      fix: null,
    },
    {
      name: 'ecs.describe-task-attribute:cn-hangzhou',
      status: 'fail',
      detail: 'ECS denied DescribeTaskAttribute in cn-hangzhou (Forbidden.RAM) (request 6B7C3B46-3E2A-4B1C-9A55-7D2E1F0A9C11)',
      fix: 'grant the role or user ecs:DescribeTaskAttribute (Resource "*") in its RAM policy; the next run resumes by itself',
    },
    { name: 'ecs.clock', status: 'pass', detail: "this host's clock is within a second of ECS", fix: null },
  ],
};

export const doctorCheck = z
  .object({
    name: z.string().meta({
      description: 'what was checked; per region or webhook with it after a colon',
      examples: ['credentials', 'ecs.describe-tasks:cn-hangzhou', 'store.tables', 'webhook:wh_3f2a9c0d1e4b5a6978c0d1e2'],
    }),
    status: z.enum(['pass', 'warn', 'fail', 'skip']).meta({ description: '`warn` counts as passing; `skip`: not checkable from here, or not needed' }),
    detail: z.string().meta({ description: 'what the check found; never a secret, token, signature or signed URL' }),
    fix: z.string().nullable().meta({ description: 'what to do; null when there is nothing to do' }),
  })
  .meta({ id: 'DoctorCheck', description: 'One check.', examples: [EXAMPLE_DOCTOR.checks[2]] });

export const doctorReport = z
  .object({
    ok: z.boolean().meta({ description: 'false when any check failed' }),
    checks: z.array(doctorCheck),
  })
  .meta({ id: 'DoctorReport', description: 'The checks `taskhook doctor` runs, as this function sees them.', examples: [EXAMPLE_DOCTOR] });
