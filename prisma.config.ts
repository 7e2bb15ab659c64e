// Prisma CLI configuration. DATABASE_URL is only needed by commands that talk to the database;
// `prisma generate` runs without it.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
