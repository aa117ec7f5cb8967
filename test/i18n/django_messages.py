"""Renders messages the way a Django 3.2 / DRF 3.14 / simplejwt 5.2 backend with LANGUAGE_CODE = 'ru'
does, for test/i18n/sources.test.ts.

Reads [{key, en: [forms], args, count?}] on stdin; looks each English msgid up with gettext (or
ngettext for plural forms), trying the placeholders as DRF writes them ({name}) and as Django does
(%(name)s, %(name)d), and fills it in. Prints {cases: [{key, args, django}], special: {...}}, where
django is null when no catalogue translates the msgid, and special holds the messages Django and
DRF compose from pieces, rendered by their own code.
"""
import json, re, sys
import django
from django.conf import settings
settings.configure(
    USE_I18N=True, LANGUAGE_CODE='ru', SECRET_KEY='x',
    INSTALLED_APPS=['django.contrib.admin', 'django.contrib.contenttypes', 'django.contrib.auth',
                    'django.contrib.messages', 'django.contrib.sessions', 'rest_framework',
                    'rest_framework_simplejwt', 'rest_framework_simplejwt.token_blacklist'],
    DATABASES={}, DEFAULT_AUTO_FIELD='django.db.models.AutoField')
django.setup()
from django.utils import translation
from django.utils.translation import gettext, ngettext
translation.activate('ru')
cases = json.load(sys.stdin)
out = []
for c in cases:
    key, en, args = c['key'], c['en'], c['args']
    found = None
    for conv in (None, 's', 'd'):
        forms = [f if conv is None else re.sub(r'\{(\w+)\}', r'%(\1)' + conv, f) for f in en]
        tr = gettext(forms[0]) if len(forms) == 1 else ngettext(forms[0], forms[1], int(args[c['count']]))
        if tr not in forms:
            a = {k: v for k, v in args.items()}
            found = tr.format(**a) if conv is None else tr % a
            break
    out.append({'key': key, 'args': args, 'django': found})
# Messages Django composes from pieces: rendered by Django's own code.
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from rest_framework.exceptions import Throttled
from django.contrib.auth.models import Group, User
special = {}
for field, name in (('username', 'passwordSimilarUsername'), ('first_name', 'passwordSimilarFirstName'),
                    ('last_name', 'passwordSimilarLastName'), ('email', 'passwordSimilarEmail')):
    u = User(username='x', first_name='x', last_name='x', email='x')
    setattr(u, field, 'verysimilarpassword')
    try:
        UserAttributeSimilarityValidator(user_attributes=(field,)).validate('verysimilarpassword', u)
    except ValidationError as e:
        special[name] = e.messages[0]
for n in (1, 2, 5, 21):
    special['throttled:%d' % n] = str(Throttled(wait=n).detail)
# DRF's UniqueValidator words the model field's `unique` message with the verbose names.
name = Group._meta.get_field('name')
special['groupNameTaken'] = str(name.error_messages['unique'] % {
    'model_name': Group._meta.verbose_name, 'field_label': name.verbose_name})
print(json.dumps({'cases': out, 'special': special}, ensure_ascii=False))
