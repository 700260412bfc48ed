import request from 'supertest';

/**
 * A queued job's final record, read through GET /v1/admin/jobs/:id every 100 ms until it succeeded or failed
 * (`attempts` polls at most; the default allows 150 s).
 */
export async function waitForJob(
  url: string,
  jobId: string,
  attempts = 1500,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < attempts; i++) {
    const res = await request(url).get(`/v1/admin/jobs/${jobId}`);
    if (res.body.status === 'succeeded' || res.body.status === 'failed')
      return res.body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not finish`);
}
