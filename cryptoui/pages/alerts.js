// Shows what the server says about this browser's alerts: a toast in every tab and, from one tab, the system
// notification. Alerts are checked on the server (alerts/), with or without a page open: nothing here looks at
// prices. A notification's tag names the firing, so tabs on several nodes still make one notification.

export default {
  template: '<span class="alert-watcher" hidden></span>',
  methods: {
    announce(message, notification, type = 'warning') {
      // It stays until dismissed: the person may be away from the tab when it fires.
      Quasar.Notify.create({
        message, type, icon: type === 'negative' ? 'error_outline' : 'notifications_active', position: 'top',
        timeout: 0, multiLine: true, classes: type === 'negative' ? 'alert-toast webhook-toast' : 'alert-toast',
        attrs: { role: 'alert' }, actions: [{ label: 'Dismiss', color: 'black', noCaps: true }],
      });
      if (!notification || !('Notification' in window) || Notification.permission !== 'granted') return;
      try {
        new Notification(notification.title, { body: notification.body, tag: notification.tag });
      } catch (error) {
        // Some browsers (Chrome on Android) allow notifications only from a service worker: the toast remains.
        console.warn('notification not shown', error);
      }
    },
    askPermission() {
      if ('Notification' in window && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => {});
      }
    },
  },
};
