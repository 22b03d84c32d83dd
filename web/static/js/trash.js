// The trash page: restore or purge one item, or empty the trash.

import { api } from './api.js';
import { toast } from './app.js';
import { confirmBox } from './dialogs.js';
import { t } from './i18n.js';

const table = document.getElementById('trash-table');

table?.addEventListener('click', async (e) => {
  const b = e.target.closest('[data-trash]');
  if (!b) return;
  const tr = b.closest('tr');
  const name = tr.dataset.name;
  try {
    if (b.dataset.trash === 'restore') {
      await api('POST', `/api/v1/trash/${tr.dataset.id}/restore`);
      toast(t('js.restored', { name }));
    } else {
      if (!(await confirmBox(t('js.purge_title'), t('js.purge_text', { name })))) return;
      await api('DELETE', `/api/v1/trash/${tr.dataset.id}`);
      toast(t('js.purged', { name }));
    }
    tr.remove();
    if (!table.querySelector('tbody tr')) window.location.reload();
  } catch (err) {
    toast(err.message, 'error');
  }
});

document.getElementById('trash-empty')?.addEventListener('click', async () => {
  if (!(await confirmBox(t('js.empty_title'), t('js.empty_text')))) return;
  try {
    await api('DELETE', '/api/v1/trash');
    window.location.reload();
  } catch (err) {
    toast(err.message, 'error');
  }
});
