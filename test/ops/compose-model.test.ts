/**
 * test/support/compose.ts against Compose's documented rules (merge, interpolation, env files,
 * environment precedence), on fixtures in a scratch folder, then on the shipped files.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  interpolate,
  InterpolationError,
  loadCompose,
  parseEnvFile,
  projectEnvironment,
  serviceEnvironment,
} from '../support/compose.js';
import { loadConfig, servingProblem } from '../../src/config.js';
import { allowedHost } from '../../src/http/hosts.js';
import { ROOT } from './support.js';

describe('Compose model (test/support/compose.ts)', () => {
  describe('interpolation', () => {
    const vars = { SET: 'value', EMPTY: '' };

    it('replaces $VAR and ${VAR}; an unset variable is empty', () => {
      expect(interpolate('a $SET b ${SET} c ${UNSET}d', vars)).to.equal('a value b value c d');
    });

    it('$$ is a literal $', () => {
      expect(interpolate('^(A|B)$$ and $${SET}', vars)).to.equal('^(A|B)$ and ${SET}');
    });

    it('defaults: :- for unset or empty, - for unset only', () => {
      expect(interpolate('${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${UNSET:-${SET}}', vars)).to.equal('d  d value');
    });

    it('alternatives: :+ when set and non-empty, + when set', () => {
      expect(interpolate('[${SET:+alt}] [${EMPTY:+alt}] [${EMPTY+alt}] [${UNSET+alt}]', vars)).to.equal(
        '[alt] [] [alt] []',
      );
    });

    it('required: :? and ? fail with the message', () => {
      expect(() => interpolate('${EMPTY:?must be set}', vars)).to.throw(InterpolationError, /EMPTY.*must be set/);
      expect(interpolate('${EMPTY?must be set}', vars)).to.equal('');
      expect(() => interpolate('${UNSET?gone}', vars)).to.throw(InterpolationError, /gone/);
    });
  });

  describe('env files', () => {
    it('KEY=VALUE lines, comments, blank lines, export, later lines win', () => {
      const env = parseEnvFile(
        '# comment\n\nA=1\nexport B=two words\nA=3\nC=x # inline comment\nD=x#not-a-comment\nE=\n',
        {},
      );
      expect(env).to.deep.equal({ A: '3', B: 'two words', C: 'x', D: 'x#not-a-comment', E: '' });
    });

    it('single quotes are literal; double quotes know escapes and interpolate', () => {
      const env = parseEnvFile(`A=1\nB='$A \\n'\nC="$A\\n\\"q\\" \\$A"\nD=\${A}2\nE=\${OUTER}\n`, { OUTER: 'shell' });
      expect(env).to.deep.equal({ A: '1', B: '$A \\n', C: '1\n"q" $A', D: '12', E: 'shell' });
    });

    it('refuses a line that is not KEY=VALUE, naming it', () => {
      expect(() => parseEnvFile('A=1\njust words\n')).to.throw(/line 2/);
    });
  });

  describe('merging and service environment', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'compose-model-'));
      const files: Record<string, string> = {
        '.env': 'TAG=1.2\nSHARED=from-dotenv\nONLY_DOTENV=d\n',
        'one.env': 'SHARED=one\nFIRST=one\nREF=${TAG}\n',
        'two.env': 'SHARED=two\nSECOND=two\n',
        'compose.yml': [
          'services:',
          '  web:',
          '    image: "web:${TAG}"',
          '    env_file: [one.env]',
          '    environment:',
          '      FROM_YAML: "yaml"',
          '      SECOND: "environment wins"',
          '      ESCAPED: "$${NOT_INTERPOLATED}"',
          '      PASSED_THROUGH:',
          '      NOT_THERE:',
          '    volumes: ["a:/data", "./x:/x:ro"]',
          '    ports: ["1:1"]',
          '    command: ["one", "two"]',
          '',
        ].join('\n'),
        'override.yml': [
          'services:',
          '  web:',
          '    env_file: [two.env, { path: missing.env, required: false }]',
          '    volumes: ["b:/data", "./y:/y"]',
          '    ports: !override ["2:2"]',
          '    command: ["three"]',
          '',
        ].join('\n'),
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('merges: sequences append, volumes unique by target, command and !override replace', () => {
      const model = loadCompose(['compose.yml', 'override.yml'], { dir });
      const web = model.services.web!;
      expect(web.env_file).to.deep.equal(['one.env', 'two.env', { path: 'missing.env', required: false }]);
      expect(web.volumes).to.deep.equal(['./x:/x:ro', 'b:/data', './y:/y']);
      expect(web.ports).to.deep.equal(['2:2']);
      expect(web.command).to.deep.equal(['three']);
      expect(web.image, 'interpolated from .env').to.equal('web:1.2');
    });

    it('the shell wins over .env for interpolation', () => {
      expect(projectEnvironment(dir, { TAG: '9' }).TAG).to.equal('9');
      expect(
        loadCompose(['compose.yml'], { dir, vars: projectEnvironment(dir, { TAG: '9' }) }).services.web!.image,
      ).to.equal('web:9');
    });

    it('environment precedence: image ENV < env_file in order < environment:', () => {
      const model = loadCompose(['compose.yml', 'override.yml'], { dir });
      const env = serviceEnvironment(model, 'web', {
        dir,
        image: { NODE_ENV: 'production', FIRST: 'image' },
        vars: projectEnvironment(dir, { PASSED_THROUGH: 'shell' }),
      });
      expect(env).to.deep.equal({
        NODE_ENV: 'production',
        FIRST: 'one',
        SHARED: 'two',
        REF: '1.2',
        SECOND: 'environment wins',
        FROM_YAML: 'yaml',
        ESCAPED: '${NOT_INTERPOLATED}',
        PASSED_THROUGH: 'shell',
      });
      expect(env, '.env is for interpolation, not the container').not.to.have.property('ONLY_DOTENV');
    });

    it('a missing required env file is an error naming it', () => {
      writeFileSync(path.join(dir, 'bad.yml'), 'services:\n  web:\n    env_file: [nowhere.env]\n');
      expect(() => serviceEnvironment(loadCompose(['bad.yml'], { dir }), 'web', { dir })).to.throw(/nowhere\.env/);
    });
  });

  describe('the shipped files', () => {
    it('the production app environment: prod.env wins over compose.env, which wins over .env', () => {
      const model = loadCompose(['compose.yml', '_compose.override.yml'], { dir: ROOT });
      const env = serviceEnvironment(model, 'app', {
        dir: ROOT,
        readFile: (file) =>
          file === 'prod.env' ? 'DEBUG=false\nPORT=8123\n' : readFileSync(path.join(ROOT, file), 'utf8'),
      });
      expect(env.DEBUG).to.equal('false');
      expect(env.PORT).to.equal('8123');
      expect(env.POSTGRES_HOST, 'compose.env').to.equal('postgres');
      expect(env.LOG_LEVEL, '.env').to.equal('info');
    });

    it('production from prod.env.example: ALLOWED_HOSTS is BACKOFFICE_DOMAIN, the app listens on every interface, and it may serve', () => {
      const model = loadCompose(['compose.yml', '_compose.override.yml'], { dir: ROOT });
      const example = readFileSync(path.join(ROOT, 'prod.env.example'), 'utf8')
        .replace(/=CHANGE-ME$/gm, '=changed-by-the-operator')
        .replace(/^SECRET_KEY=.*$/m, `SECRET_KEY=${'k'.repeat(48)}`);
      const environment = (prodEnv: string) =>
        serviceEnvironment(model, 'app', {
          dir: ROOT,
          readFile: (file) => (file === 'prod.env' ? prodEnv : readFileSync(path.join(ROOT, file), 'utf8')),
        });
      const env = environment(example);
      expect(env.ALLOWED_HOSTS).to.equal(env.BACKOFFICE_DOMAIN).and.to.equal('backoffice.example.com');
      expect(env.HOST, 'compose.env').to.equal('0.0.0.0');
      const config = loadConfig(env);
      expect(config.allowedHosts).to.deep.equal(['backoffice.example.com']);
      expect(config.useXForwardedHost, 'nginx passes the client Host on').to.equal(false);
      expect(servingProblem(config)).to.equal(null);
      // One line to change for another domain.
      const moved = environment(example.replace(/^BACKOFFICE_DOMAIN=.*$/m, 'BACKOFFICE_DOMAIN=api.example.org'));
      expect(moved.ALLOWED_HOSTS).to.equal('api.example.org');
      // A prod.env without the line is refused at start, naming the variable.
      const without = loadConfig(environment(example.replace(/^ALLOWED_HOSTS=.*$/m, '')));
      expect(servingProblem(without)).to.match(/^ALLOWED_HOSTS must name/);
    });

    it('local mode: the app listens on every interface of its container and answers localhost (DEBUG)', () => {
      const env = serviceEnvironment(loadCompose(['compose.yml'], { dir: ROOT }), 'app', { dir: ROOT });
      expect(env.HOST).to.equal('0.0.0.0');
      expect(env.DEBUG).to.equal('true');
      expect(allowedHost('localhost:8080', loadConfig(env).allowedHosts), 'nginx/local.conf forwards Host').to.equal(
        'localhost:8080',
      );
    });

    it('nginx gets NGINX_ENVSUBST_FILTER with $$ turned into $', () => {
      const model = loadCompose(['compose.yml'], { dir: ROOT });
      const env = serviceEnvironment(model, 'nginx', { dir: ROOT });
      expect(env.NGINX_ENVSUBST_FILTER).to.match(/\)\$$/);
      expect(env.NGINX_ENVSUBST_FILTER).not.to.include('$$');
    });
  });
});
