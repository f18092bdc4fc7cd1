// SPDX-License-Identifier: MIT
// Live task page: follows the task's event stream and updates steps and log without reloads.
(function () {
  'use strict';
  var script = document.currentScript;
  var task = script && script.getAttribute('data-task');
  if (!task || !window.EventSource) {
    return;
  }
  var after = script.getAttribute('data-after') || '0';
  var log = document.getElementById('log');
  var url = '/api/scaffolder/v2/tasks/' + encodeURIComponent(task) + '/eventstream?after=' +
    encodeURIComponent(after);
  var source = new EventSource(url);

  function label(status) {
    return status === 'processing' ? 'running' : status;
  }

  source.addEventListener('log', function (message) {
    var event = JSON.parse(message.data);
    var body = event.body || {};
    if (body.message !== undefined && log) {
      log.appendChild(document.createTextNode(
        (body.stepId ? '[' + body.stepId + '] ' : '') + body.message + '\n'));
      log.scrollTop = log.scrollHeight;
    }
    if (body.stepId && body.status) {
      var items = document.querySelectorAll('#steps .step');
      for (var i = 0; i < items.length; i++) {
        if (items[i].getAttribute('data-step') === body.stepId) {
          items[i].className = 'step status-' + label(body.status);
          items[i].querySelector('.status').textContent = label(body.status);
        }
      }
    }
  });

  function finished() {
    source.close();
    window.location.reload();
  }
  source.addEventListener('completion', finished);
  source.addEventListener('cancelled', finished);
}());
